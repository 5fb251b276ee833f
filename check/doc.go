// Package check is the one path from a question to an answer: it takes a
// Request (a model, whether to reduce it by symmetry, what to check, the
// budgets, the store and the progress callbacks), runs the engine, and
// returns the engine's result with every counterexample as a concrete,
// task-by-task trace of the unreduced model.
//
// Every caller that explores goes through it: the check, matrix, findings,
// growth and bench commands and the kernel package's counterexample search.
// It prints nothing and knows no flags.
package check
