// Package strictjson holds the one check encoding/json lacks for the
// protocol's objects: field names must match exactly, where encoding/json
// would take "Name" or "NAME" for "name".
package strictjson

import (
	"encoding/json"
	"fmt"
	"slices"
)

// CheckKeys returns an error naming the first key of the JSON object b that
// is not in allowed. Anything that is not an object passes: decoding it
// will say what is wrong.
func CheckKeys(b []byte, allowed []string) error {
	var keys map[string]json.RawMessage
	if json.Unmarshal(b, &keys) != nil {
		return nil
	}
	for k := range keys {
		if !slices.Contains(allowed, k) {
			return fmt.Errorf("json: unknown field %q", k)
		}
	}
	return nil
}
