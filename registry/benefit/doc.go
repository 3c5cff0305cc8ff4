// Package benefit owns the support ledger of the seed measures' money:
// the measures (catalog.Measures) with their rates, caps and budgets,
// enterprises' applications, the deciding bureau's approval computed step
// by step (Compute: the rate, each cap, 从优、就高、不重复 across measures
// on one cost item), disbursements by city or district, recovery orders,
// an enterprise's signed support statement, and the public list of awards
// above the publication threshold.
//
// Caps, budgets and count limits are counters (support_counters) that an
// approval locks in key order and consumes in its own transaction; check
// constraints keep every counter within its limit and every award's
// payments within the award, whatever the code does.
package benefit
