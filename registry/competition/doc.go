// Package competition registers competitions and their prize levels,
// records awards (registering a winner as a talent when needed) and
// recognises winners with a designation made through package designation.
package competition
