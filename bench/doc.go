// Package bench holds Go benchmarks of the explorer's hot paths: successor
// generation, encoding, fingerprinting, visited-set inserts, symmetry
// canonicalisation and whole searches. The end-to-end table comes from
// `cabacheck bench`; README.md records figures and the commands that made them.
package bench
