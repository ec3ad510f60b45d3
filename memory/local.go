package memory

import (
	"context"
	"math"
	"strings"
	"sync"
	"unicode"
)

// An Embedder turns texts into vectors whose cosine says how alike the
// texts are. Vectors of embedders with different names are never
// compared.
type Embedder interface {
	// Name says what makes the vectors: "local:ngram-384", or
	// "openai:MODEL@HOST" for an endpoint's model.
	Name() string
	// Embed returns one vector per text, each of unit length.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// LocalDims is the size of the local embedder's vectors.
const LocalDims = 384

// LocalName is the local embedder's name.
const LocalName = "local:ngram-384"

// Local is the embedder that needs nothing installed and works offline: a
// bag of hashed features — words, pairs of adjacent words, and the
// character trigrams of each word — weighted by TF-IDF and folded into 384
// dimensions with signed feature hashing.
//
// It captures shared words and word pairs, and through the trigrams
// shared stems, inflections and near-misspellings ("parser" and
// "parsing", "shader" and "shaders"). It knows nothing of meaning beyond
// the letters: synonyms ("car", "automobile"), paraphrases and other
// languages' words for the same thing are strangers to it. The IDF comes
// from the memories it has observed: a memory embedded early weighs words
// as the corpus did then (re-embedding brings it up to date).
type Local struct {
	mu   sync.RWMutex
	df   map[uint64]uint32 // documents that hold each word or trigram
	docs int
}

var _ Embedder = (*Local)(nil)

// NewLocal returns a local embedder that has observed nothing.
func NewLocal() *Local { return &Local{df: map[uint64]uint32{}} }

// Name is LocalName.
func (l *Local) Name() string { return LocalName }

// Kinds of feature, and their weights.
const (
	featWord    = 'w'
	featPair    = 'p'
	featTrigram = 't'

	weightWord    = 1.0
	weightPair    = 0.6
	weightTrigram = 0.35
	weightStop    = 0.08 // of a stop word, which says little
)

// stopWords are common English words whose presence says little.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for w := range strings.FieldsSeq(`a an the and or but if of to in on at by for with from as is are was were be been being
		it its this that these those i you he she we they me him her us them my your our their not no do does did
		so than then there here what which who whom how when where why all any some can will would should could may might`) {
		m[w] = true
	}
	return m
}()

// FNV-1a, written out so that features hash without allocating.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashStart(kind byte) uint64 { return (fnvOffset ^ uint64(kind)) * fnvPrime }

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// words splits text into lower-case words of letters and digits.
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// maxWordBytes cuts very long "words" (hashes, base64) short.
const maxWordBytes = 40

// feature is one occurrence of a hashed feature.
type feature struct {
	hash   uint64
	weight float64
	idfOf  [2]uint64 // the hashes whose IDF it takes (0: its own)
}

// features lists a text's features.
func features(text string, each func(f feature)) {
	ws := words(text)
	for i, w := range ws {
		if len(w) > maxWordBytes {
			w = w[:maxWordBytes]
			ws[i] = w
		}
	}
	for i, w := range ws {
		wh := hashString(hashStart(featWord), w)
		weight := weightWord
		if stopWords[w] {
			weight = weightStop
		}
		each(feature{hash: wh, weight: weight})
		if i > 0 && !stopWords[w] && !stopWords[ws[i-1]] {
			ph := hashString(hashString(hashString(hashStart(featPair), ws[i-1]), " "), w)
			each(feature{hash: ph, weight: weightPair, idfOf: [2]uint64{hashString(hashStart(featWord), ws[i-1]), wh}})
		}
		if len(w) >= 4 && !stopWords[w] {
			padded := "^" + w + "$"
			for j := 0; j+3 <= len(padded); j++ {
				each(feature{hash: hashString(hashStart(featTrigram), padded[j:j+3]), weight: weightTrigram})
			}
		}
	}
}

// distinct lists the hashes whose document frequency a text adds to.
func distinct(text string) map[uint64]bool {
	seen := map[uint64]bool{}
	features(text, func(f feature) {
		if f.idfOf == [2]uint64{} {
			seen[f.hash] = true
		}
	})
	return seen
}

// Observe counts a text in the corpus the IDF comes from.
func (l *Local) Observe(text string) {
	seen := distinct(text)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.docs++
	for h := range seen {
		l.df[h]++
	}
}

// Forget takes a text out of the corpus.
func (l *Local) Forget(text string) {
	seen := distinct(text)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.docs = max(0, l.docs-1)
	for h := range seen {
		if n := l.df[h]; n <= 1 {
			delete(l.df, h)
		} else {
			l.df[h] = n - 1
		}
	}
}

// Docs is how many texts the corpus holds.
func (l *Local) Docs() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.docs
}

// idf is a hash's inverse document frequency; called with the read lock.
func (l *Local) idf(h uint64) float64 {
	return math.Log(float64(l.docs+1)/float64(l.df[h]+1)) + 1
}

// Embed returns the texts' vectors.
func (l *Local) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = l.embed(t)
	}
	return out, nil
}

func (l *Local) embed(text string) []float32 {
	type acc struct {
		tf, weight float64
		idfOf      [2]uint64
	}
	tf := map[uint64]*acc{}
	features(text, func(f feature) {
		a := tf[f.hash]
		if a == nil {
			a = &acc{weight: f.weight, idfOf: f.idfOf}
			tf[f.hash] = a
		}
		a.tf++
	})
	v := make([]float64, LocalDims)
	l.mu.RLock()
	for h, a := range tf {
		idf := l.idf(h)
		if a.idfOf != [2]uint64{} {
			idf = (l.idf(a.idfOf[0]) + l.idf(a.idfOf[1])) / 2
		}
		w := a.weight * (1 + math.Log(a.tf)) * idf
		// Signed hashing: collisions cancel out rather than pile up.
		if h>>63 == 1 {
			w = -w
		}
		v[h%LocalDims] += w
	}
	l.mu.RUnlock()
	return normalise(v)
}

// normalise scales v to unit length (a zero vector stays zero).
func normalise(v []float64) []float32 {
	var sum float64
	for _, x := range v {
		sum += x * x
	}
	out := make([]float32, len(v))
	if sum == 0 {
		return out
	}
	n := 1 / math.Sqrt(sum)
	for i, x := range v {
		out[i] = float32(x * n)
	}
	return out
}
