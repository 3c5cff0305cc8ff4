// Package talent registers talents and reads them; identity numbers and
// passports are sealed at rest and found by keyed hash, never stored or
// logged in clear.
package talent
