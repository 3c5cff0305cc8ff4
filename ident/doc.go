// Package ident validates, normalises and masks the personal and
// organisational identifiers that the certification registry stores.
//
// It owns three families of identifier:
//
//   - the 18-character unified social credit code of an organisation
//     (GB 32100-2015), see ValidateCreditCode;
//   - the 18-character resident identity number of a mainland Chinese
//     citizen (GB 11643-1999), see ValidateIDNumber;
//   - passport numbers and ISO 3166-1 alpha-2 nationality codes of foreign
//     holders, see ValidatePassport and ValidateNationality.
//
// Each family has a Normalize function that cleans user input (surrounding
// white space, letter case) and a Validate function that takes the
// normalised form and returns nil or a *Violation whose Reason explains, in
// English, what is wrong. Validate functions never modify their input, so
// callers normalise first and store the normalised form.
//
// The check-character helpers (CreditCodeCheckChar, CompleteCreditCode,
// IDNumberCheckChar, CompleteIDNumber) build valid identifiers for tests and
// demonstration data. The Mask functions hide the middle of an identifier
// for display and logging.
//
// The package depends only on the standard library and holds no state.
package ident

import "fmt"

// Violation describes why an identifier is invalid.
type Violation struct {
	// Reason is an English sentence fragment such as
	// "check character should be 'L'".
	Reason string
}

// Error returns v.Reason.
func (v *Violation) Error() string { return v.Reason }

// violationf builds a *Violation from a format string.
func violationf(format string, args ...any) *Violation {
	return &Violation{Reason: fmt.Sprintf(format, args...)}
}
