// Package spec is the TLA+-style interface between models and the explorer:
// a model has initial states, named actions with parameters, a successor
// relation that yields (action, successor) pairs, and a hook through which
// invariants are evaluated on encoded states. The explorer knows models only
// through this package.
//
// The models themselves live in sub-packages: spec/linux (the Linux task
// model with its CABA revisions) and spec/toy (a small standard benchmark).
package spec
