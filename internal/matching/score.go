package matching

import (
	"math"
	"slices"
	"strings"
)

// Thresholds on Candidate.Score.
const (
	// LikelyScore is the least score Find returns: a likely existing
	// person, worth showing the worker.
	LikelyScore = 0.6
	// AlertScore is the least score that raises a counter-allegation
	// alert. A matching name alone never reaches it: it takes a name and a
	// date of birth or a phone number, or a phone number and a date of
	// birth.
	AlertScore = 0.8
)

// Reasons: message keys (en.matching.json) saying why a candidate matched.
const (
	ReasonSameName      = "match.reason.same_name"
	ReasonNickname      = "match.reason.nickname"
	ReasonSimilarName   = "match.reason.similar_name"
	ReasonNamesSwapped  = "match.reason.names_swapped"
	ReasonAlias         = "match.reason.alias"
	ReasonSameDOB       = "match.reason.same_dob"
	ReasonDOBTransposed = "match.reason.dob_transposed"
	ReasonSimilarDOB    = "match.reason.similar_dob"
	ReasonBirthYear     = "match.reason.birth_year"
	ReasonSamePhone     = "match.reason.same_phone"
)

// Name agreement levels, for a given name or a family name.
type level int

const (
	lvExact level = iota
	lvNickname
	lvSimilar
	lvInitial
	lvDifferent
	lvMissing
)

// namePoints[family level][given level] is the evidence a pair of names
// gives, in points (see toScore). The same family name with a different
// given name is most often a relative; the same given name with another
// family name may be a name changed on marriage or separation.
var namePoints = [...][6]float64{
	lvExact:     {6, 5.5, 5, 3, 0.5, 3},
	lvNickname:  {}, // family names have no nicknames
	lvSimilar:   {5, 4.5, 4, 2, 0, 2.5},
	lvInitial:   {},
	lvDifferent: {1, 0.5, 0, -1, -1, -1},
	lvMissing:   {1.5, 1, 0.5, 0, -1, 0},
}

// Evidence from dates of birth and phones, in points.
const (
	ptsSameDOB       = 4.5
	ptsTransposedDOB = 3
	ptsSimilarDOB    = 2
	ptsSameYearOnly  = -1.5 // two full dates, same year, otherwise different
	ptsOtherDOB      = -4   // two full dates far apart
	ptsBirthYear     = 1.5  // same year, one side knows no more
	ptsNearYear      = 0.5  // a year either side (ages are often estimated)
	ptsFarYear       = -2   // three or more years apart
	ptsSamePhone     = 6
	ptsSwapped       = -0.5
)

// toScore maps points to 0..1 on a logistic curve placed so that 5
// points (a nickname and the same family name; a phone number alone) is
// LikelyScore and 8 (a name and a date of birth, roughly) is AlertScore.
func toScore(pts float64) float64 {
	const (
		k = 0.32694 // (logit(0.8) - logit(0.6)) / 3
		c = 3.7597  // 5 - logit(0.6)/k
	)
	return 1 / (1 + math.Exp(-k*(pts-c)))
}

// atLeast compares a score with a threshold, forgiving rounding.
func atLeast(score, threshold float64) bool { return score >= threshold-1e-9 }

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

func similar(a, b string) bool {
	jw := JaroWinkler(a, b)
	return jw >= 0.9 || (jw >= 0.75 && Phonetic(a) == Phonetic(b))
}

func givenLevel(a, b string) level {
	if a == "" || b == "" {
		return lvMissing
	}
	af, bf := firstWord(a), firstWord(b)
	switch {
	case a == b || af == bf:
		return lvExact
	case sameGroup(af, bf):
		return lvNickname
	case len(af) == 1 || len(bf) == 1:
		if af[0] == bf[0] {
			return lvInitial
		}
		return lvDifferent
	case similar(af, bf):
		return lvSimilar
	}
	return lvDifferent
}

func familyLevel(a, b string) level {
	if a == "" || b == "" {
		return lvMissing
	}
	ac, bc := strings.ReplaceAll(a, " ", ""), strings.ReplaceAll(b, " ", "")
	if ac == bc {
		return lvExact
	}
	if strings.Contains(a, " ") || strings.Contains(b, " ") {
		aw, bw := strings.Fields(a), strings.Fields(b)
		for _, w := range aw {
			if len(w) > 1 && slices.Contains(bw, w) {
				return lvSimilar
			}
		}
	}
	if similar(ac, bc) {
		return lvSimilar
	}
	return lvDifferent
}

// compareNames scores one probe name against one subject name.
func compareNames(p, s nameForm) (float64, []string) {
	gl, fl := givenLevel(p.G, s.G), familyLevel(p.F, s.F)
	pts := namePoints[fl][gl]
	var why []string
	if pts >= 2.5 {
		switch {
		case gl == lvExact && fl == lvExact:
			why = append(why, ReasonSameName)
		case gl == lvNickname:
			why = append(why, ReasonNickname)
			if fl == lvSimilar {
				why = append(why, ReasonSimilarName)
			}
		default:
			why = append(why, ReasonSimilarName)
		}
	}
	return pts, why
}

// nameEvidence is the best agreement between any of the probe's names and
// any of the subject's, either way round.
func nameEvidence(p, s profile) (float64, []string) {
	best, found := 0.0, false
	var why []string
	consider := func(pts float64, reasons []string, alias, swapped bool) {
		if swapped {
			pts += ptsSwapped
		}
		if found && pts <= best {
			return
		}
		best, found = pts, true
		why = reasons
		if pts >= 2.5 {
			if swapped {
				why = append(slices.Clone(why), ReasonNamesSwapped)
			}
			if alias {
				why = append(slices.Clone(why), ReasonAlias)
			}
		}
	}
	for _, pn := range p.Names {
		for _, sn := range s.Names {
			pts, reasons := compareNames(pn, sn)
			consider(pts, reasons, pn.Alias || sn.Alias, false)
			if pn.G != "" && pn.F != "" && sn.G != "" && sn.F != "" {
				pts, reasons := compareNames(nameForm{G: pn.F, F: pn.G}, sn)
				consider(pts, reasons, pn.Alias || sn.Alias, true)
			}
		}
	}
	return best, why
}

// oneDigitApart reports whether two dates written alike differ in exactly
// one character (a typing slip).
func oneDigitApart(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	n := 0
	for i := range len(a) {
		if a[i] != b[i] {
			n++
		}
	}
	return n == 1
}

func dobEvidence(p, s profile) (float64, []string) {
	pd, sd := parseDate(p.DOB), parseDate(s.DOB)
	if pd.full() && sd.full() {
		switch {
		case pd == sd:
			return ptsSameDOB, []string{ReasonSameDOB}
		case pd.Y == sd.Y && pd.M == sd.D && pd.D == sd.M:
			return ptsTransposedDOB, []string{ReasonDOBTransposed}
		case oneDigitApart(pd.String(), sd.String()):
			return ptsSimilarDOB, []string{ReasonSimilarDOB}
		case pd.Y == sd.Y:
			return ptsSameYearOnly, nil
		}
		return ptsOtherDOB, nil
	}
	if p.Year == 0 || s.Year == 0 {
		return 0, nil
	}
	if pd.M > 0 && sd.M > 0 && pd.Y == sd.Y && pd.M != sd.M && pd.M != sd.D && pd.D != sd.M {
		return ptsSameYearOnly, nil
	}
	switch d := p.Year - s.Year; {
	case d == 0:
		return ptsBirthYear, []string{ReasonBirthYear}
	case d == 1 || d == -1:
		return ptsNearYear, []string{ReasonBirthYear}
	case d == 2 || d == -2:
		return 0, nil
	}
	return ptsFarYear, nil
}

func phoneEvidence(p, s profile) (float64, []string) {
	for _, a := range p.Phones {
		if slices.Contains(s.Phones, a) {
			return ptsSamePhone, []string{ReasonSamePhone}
		}
	}
	return 0, nil
}

// score compares a probe with a subject's profile: 0..1 and the reasons.
func score(p, s profile) (float64, []string) {
	var pts float64
	var why []string
	for _, ev := range []func(p, s profile) (float64, []string){nameEvidence, dobEvidence, phoneEvidence} {
		n, r := ev(p, s)
		pts += n
		why = append(why, r...)
	}
	return toScore(pts), why
}
