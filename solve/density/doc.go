// Package density estimates the density ρ of a particle cloud together
// with its gradient ∇ρ and score ∇log ρ, as JKOnet*'s internal-energy term
// needs, and the differential entropy of a cloud, as iJKOnet needs.
//
// Estimators (all satisfy Estimator, evaluated in batches, in parallel
// over fixed chunks of points so results do not depend on the number of
// cores):
//
//   - GMM, a full-covariance Gaussian mixture fitted by EM (FitGMM). The
//     defaults follow scikit-learn's GaussianMixture: one initialisation
//     from k-means (k-means++ seeding with 2+⌊ln k⌋ local trials, then
//     Lloyd iterations, tolerance 1e-4 × mean feature variance, at most 300
//     iterations), reg_covar 1e-6 added to every covariance diagonal,
//     tol 1e-3 on the change of the mean log-likelihood, max_iter 100,
//     responsibility sums nk padded by 10·ε as scikit-learn does. All
//     densities are computed in log space from Cholesky factors of the
//     covariances. Random streams differ from NumPy's, so a fit from the
//     same seed is not the same fit as scikit-learn's, only one of the
//     same quality.
//   - KDE, a Gaussian kernel density estimate with Scott's or Silverman's
//     rule applied to the data covariance (as scipy.stats.gaussian_kde) or
//     a given isotropic bandwidth.
//   - Clipped, a wrapper that floors ρ at a constant. The JKOnet* reference
//     (utils/density.py) fits a 10-component full-covariance mixture per
//     snapshot with scikit-learn, drops components whose covariance
//     determinant is ≤ 1e-4 (renormalising the weights), and returns
//     max(ρ, 1e-5); JAX differentiates the clip to a zero gradient where it
//     is active. JKOnetStarDensity reproduces that recipe with GMM.Prune
//     and Clipped, with both thresholds in the units of the data
//     (ReferenceThresholds: the reference's numbers on its own data).
//
// DensityGrad evaluates ρ and ∇ρ together: in one pass over the mixture
// for GMM and Clipped (the same numbers as Density and Grad).
//
// EntropyKL is the Kozachenko–Leonenko k-nearest-neighbour estimate of the
// differential entropy, with a kd-tree for the neighbour search.
package density
