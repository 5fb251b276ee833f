package invariants

// sessionInvariants are the sanity invariants of sessions and process
// groups (action set sessions); with the set off they hold trivially.
var sessionInvariants = []entry{}
