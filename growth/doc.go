// Package growth measures how the state space grows with the task bound and
// with the optional actions, and predicts a bound's size before it is run.
//
// A Sweep runs the explorer over every (series, tasks) pair, where a series is
// a revision with an action set, and keeps each run's per-level statistics.
// Before a bound is run, Predict extrapolates it from the complete smaller
// bounds of the same series: the per-level profile of new states of the
// largest smaller bound is stretched along the level axis to the predicted
// depth and raised in log-height to the predicted peak level, both
// extrapolated across bounds; states generated, time and peak heap follow from
// that profile and the smaller bounds' out-degrees, cost per generated state
// and memory per state. A run stopped by a budget is compared with the
// prediction through the deepest level it completed.
//
// Fit summarises the growth per added task and per enabled action; WriteCSV,
// WriteJSON and the plot functions write the results. The package prints
// nothing: the sweep reports through callbacks.
package growth
