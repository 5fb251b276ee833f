package state

// Encode, Decode and Validate are generated from the Fields table
// (fields.go) into zz_fields_gen.go, with BytesPerTask; the layout of a slot's
// bytes is in Encode's comment there.

// Size returns the encoded size of a state with n tasks.
func Size(n int) int { return BytesPerTask * n }
