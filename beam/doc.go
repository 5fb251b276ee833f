// Package beam is the root of the cabacheck/beam module: cabacheck's
// breadth-first search as Apache Beam pipelines (package engine), run
// in-process by Beam's Prism runner or on Flink, Spark or Dataflow
// (command cabacheck-beam). It is a module of its own so that the core
// cabacheck binary does not link the Beam SDK and its few hundred modules;
// it shares the models, invariants and trace rendering through the main
// module (replace cabacheck => ../). See docs/distributed.md.
package beam
