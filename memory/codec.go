package memory

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/klauspost/compress/zstd"
)

// One encoder and decoder serve every call (both are safe for concurrent
// use through EncodeAll and DecodeAll).
var (
	encoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	decoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(4*MaxContentBytes))
)

// Pack returns a content as it is stored: compressed with zstd when it is
// longer than above bytes and compressing saves something.
func Pack(content string, above int) (b []byte, compressed bool) {
	if len(content) <= above {
		return []byte(content), false
	}
	z := encoder.EncodeAll([]byte(content), make([]byte, 0, len(content)/2))
	if len(z) >= len(content) {
		return []byte(content), false
	}
	return z, true
}

// Unpack returns a stored content whole.
func Unpack(b []byte, compressed bool) (string, error) {
	if !compressed {
		return string(b), nil
	}
	out, err := decoder.DecodeAll(b, nil)
	if err != nil {
		return "", fmt.Errorf("decompress a memory: %w", err)
	}
	return string(out), nil
}

// EncodeVector stores a vector as little-endian float32s.
func EncodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// DecodeVector reads what EncodeVector wrote.
func DecodeVector(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("a stored vector of %d bytes is not float32s", len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// CheckVector says what is wrong with a vector an embedder gave, if
// anything: the wrong size, a value that is not a number, or no length.
// It returns the vector scaled to unit length.
func CheckVector(v []float32, dims int) ([]float32, error) {
	if dims > 0 && len(v) != dims {
		return nil, fmt.Errorf("a vector of %d dimensions, not %d", len(v), dims)
	}
	if len(v) == 0 || len(v) > MaxDims {
		return nil, fmt.Errorf("a vector of %d dimensions (want 1 to %d)", len(v), MaxDims)
	}
	var sum float64
	for i, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("value %d of the vector is %v", i, x)
		}
		sum += f * f
	}
	if sum == 0 {
		return nil, fmt.Errorf("a vector of zeros")
	}
	out := make([]float32, len(v))
	n := 1 / math.Sqrt(sum)
	for i, x := range v {
		out[i] = float32(float64(x) * n)
	}
	return out, nil
}

// MaxDims bounds the vectors an endpoint may give.
const MaxDims = 8192
