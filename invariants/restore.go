package invariants

// restoreInvariants are the restorability checks (group restore).
var restoreInvariants = []entry{}
