package overlay

import (
	"strings"
	"sync"
	"unicode"

	"visionflow/settings"
)

// fieldNames say what a few settings are where their keys do not.
var fieldNames = map[string]string{
	"physics.dt":          "Time step",
	"physics.springK":     "Spring strength",
	"physics.repelK":      "Repulsion strength",
	"physics.attractionK": "Attraction strength",
	"physics.theta":       "Barnes–Hut θ",
	"physics.enabled":     "Physics on",
}

// fieldLabels names every setting for people: its key in words
// ("maxVelocity" is "Max velocity", "enableHologram" "Hologram"), a
// feature flag as such, and a name two settings share followed by its
// group ("Quality (nodes)", "Quality (edges)").
var fieldLabels = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	count := map[string]int{}
	for _, f := range settings.Schema {
		name, ok := fieldNames[f.Path]
		if !ok {
			parts := strings.Split(f.Path, ".")
			name = words(parts[len(parts)-1])
			if len(parts) > 2 && parts[1] == "featureFlags" {
				name = "Feature: " + strings.ToLower(name)
			}
		}
		out[f.Path] = name
		count[name]++
	}
	for path, name := range out {
		if count[name] > 1 {
			out[path] = name + " (" + path[:strings.IndexByte(path, '.')] + ")"
		}
	}
	return out
})

// words turns a camelCase key into words: the first capitalised, the rest
// lower case except single letters ("springK" is "Spring K"); a leading
// "enable" goes (a switch says that itself).
func words(key string) string {
	if rest, ok := strings.CutPrefix(key, "enable"); ok && rest != "" && unicode.IsUpper(rune(rest[0])) {
		key = rest
	}
	var ws []string
	start := 0
	for i, r := range key {
		if i > 0 && unicode.IsUpper(r) {
			ws = append(ws, key[start:i])
			start = i
		}
	}
	ws = append(ws, key[start:])
	for i, w := range ws {
		switch {
		case i == 0:
			ws[i] = strings.ToUpper(w[:1]) + strings.ToLower(w[1:])
		case len(w) > 1:
			ws[i] = strings.ToLower(w)
		}
	}
	return strings.Join(ws, " ")
}
