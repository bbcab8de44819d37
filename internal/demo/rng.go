package demo

import (
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Stream numbers: each household draws from several independent PCG streams
// so that one part (say the client's identity) can be regenerated for another
// household's benefit (near-duplicates, counter-allegations) without
// generating the whole of that household.
const (
	streamCore        = 1 // client identity and the household's kind
	streamPerp        = 2 // main perpetrator's identity
	streamMain        = 3 // everything else about the household
	streamPartnership = 4 // organisations, staff, properties
	streamUnitPhase   = 5 // per-unit phase of the refuge occupancy slots
	streamPlan        = 6 // permutation constants of a world
)

// mix64 is the splitmix64 finaliser: a cheap bijective scrambler used to turn
// (seed, index, stream) into well-spread PCG states.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// rng wraps a PCG by value: creating one per household stream costs no
// allocation, and its methods are small enough to inline.
type rng struct{ pcg rand.PCG }

func newRng(seed int64, index uint64, stream uint64) rng {
	s := mix64(uint64(seed) ^ 0x5851f42d4c957f2d)
	hi := mix64(s + mix64(index*8+stream+1))
	lo := mix64(hi ^ s ^ (stream * 0x9e3779b97f4a7c15))
	var r rng
	r.pcg.Seed(hi, lo)
	return r
}

func (r *rng) u64() uint64 { return r.pcg.Uint64() }

// intn returns a value in [0, n) for n > 0 (Lemire's multiply-high; the tiny
// bias is irrelevant for synthetic data and it is deterministic).
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.pcg.Uint64(), uint64(n))
	return int(hi)
}

// int64n is intn for int64 ranges (seconds in the window).
func (r *rng) int64n(n int64) int64 {
	if n <= 0 {
		return 0
	}
	hi, _ := bits.Mul64(r.pcg.Uint64(), uint64(n))
	return int64(hi)
}

// between returns a value in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func (r *rng) float() float64 { return float64(r.pcg.Uint64()>>11) * (1.0 / (1 << 53)) }

func (r *rng) chance(p float64) bool { return r.float() < p }

func pick[T any](r *rng, s []T) T { return s[r.intn(len(s))] }

// weighted picks an index from cumulative weights (last element is the total).
func weighted(r *rng, cum []int) int {
	x := r.intn(cum[len(cum)-1])
	for i, c := range cum {
		if x < c {
			return i
		}
	}
	return len(cum) - 1
}

func cumulative(w ...int) []int {
	out := make([]int, len(w))
	t := 0
	for i, v := range w {
		t += v
		out[i] = t
	}
	return out
}

const hexDigits = "0123456789abcdef"

// idPos maps the 32 hex digits of an ID to their place in the 8-4-4-4-12 form.
var idPos = func() (p [32]uint8) {
	j := 0
	for i := 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		p[j] = uint8(i)
		j++
	}
	return p
}()

// id returns a UUIDv7-shaped opaque ID (version nibble 7, RFC 4122 variant).
// All other bits are random from the stream rather than a timestamp: IDs must
// not look sequential or leak when a record was made.
func (r *rng) id() string {
	var buf [36]byte
	r.putID(buf[:])
	return string(buf[:])
}

// ids returns n IDs as one string of n*36 bytes; callers slice it. One
// allocation instead of n matters for the ten million timeline events.
// (strings.Builder hands its buffer over without the copy string(buf) makes.)
func (r *rng) ids(n int) string {
	var sb strings.Builder
	sb.Grow(36 * n)
	var buf [36]byte
	for range n {
		r.putID(buf[:])
		sb.Write(buf[:])
	}
	return sb.String()
}

func (r *rng) putID(buf []byte) {
	_ = buf[35]
	a, b := r.u64(), r.u64()
	a = a&^0xf000 | 0x7000
	b = b&^(3<<62) | 2<<62
	buf[8], buf[13], buf[18], buf[23] = '-', '-', '-', '-'
	for i := 0; i < 16; i++ {
		buf[idPos[i]] = hexDigits[(a>>(60-4*i))&15]
		buf[idPos[16+i]] = hexDigits[(b>>(60-4*i))&15]
	}
}

// phone formats prefix followed by n as a zero-padded 3 digit suffix, e.g.
// ("07700 900", 42) -> "07700 900042". Only Ofcom's drama ranges are used as
// prefixes, so a demo number can never ring a real person.
func phone(prefix string, n int) string {
	buf := make([]byte, 0, len(prefix)+3)
	buf = append(buf, prefix...)
	buf = append(buf, byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
	return string(buf)
}

func itoa(n int) string { return strconv.Itoa(n) }

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// affine is a bijection x -> (a*x + b) mod n on [0, n): a cheap, shardable way
// to shuffle indexes without a table.
type affine struct{ a, b, n uint64 }

func newAffine(r *rng, n int) affine {
	if n <= 1 {
		return affine{a: 1, b: 0, n: uint64(max(n, 1))}
	}
	un := uint64(n)
	// Start near n/phi so consecutive inputs land far apart, then walk to a
	// multiplier coprime with n (which makes the map a bijection).
	a := (un*618/1000 + uint64(r.intn(n))) % un
	for a < 2 || gcd(a, un) != 1 {
		a = (a + 1) % un
	}
	return affine{a: a, b: uint64(r.intn(n)), n: un}
}

func (f affine) at(x int) int {
	hi, lo := bits.Mul64(f.a, uint64(x))
	_, rem := bits.Div64(hi%f.n, lo, f.n)
	return int((rem + f.b) % f.n)
}
