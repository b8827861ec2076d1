package annotators

// Test hooks: the half-precision conversions.
var (
	ToHalf   = toHalf
	FromHalf = fromHalf
)
