//go:build !amd64

package eval

func softSig4(sp, sg, z *float64, n int) int { return 0 }

func sigmoid4(sg, z *float64, n int) int { return 0 }

var vectorActivations = false

func softSig8(sp, sg, z *float64, n int) int { return 0 }

func sigmoid8(sg, z *float64, n int) int { return 0 }

var wideActivations = false
