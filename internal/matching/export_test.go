package matching

// Hooks for the external tests (scale_test.go lives in matching_test: the
// demo generator it uses imports packages that import this one).

// NicknameGroups is the nickname table: name → canonical names.
var NicknameGroups = groups

// Transpose swaps day and month of a full YYYY-MM-DD date, if the result
// is another valid date.
func Transpose(dob string) (string, bool) {
	d, ok := parseDate(dob).transposed()
	return d.String(), ok
}

// BirthYearOf returns the year of a full or partial date, or 0.
func BirthYearOf(dob string) int { return parseDate(dob).Y }
