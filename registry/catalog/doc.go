// Package catalog is the registry's reference data: the bureaus the seed
// measures name, the designation types each grants and the talent levels,
// the default authorization policy made from them, and storing them.
package catalog
