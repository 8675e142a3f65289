// pnpm hooks for this workspace.
//
// beforePacking shapes the manifest that `pnpm pack` / `pnpm publish` (and so `changeset publish`)
// put in a tarball. Scripts and devDependencies describe how the package is built inside this
// repository: they name the private workspace tooling (@tapegrad/tsconfig, tsup-config,
// vitest-preset), which is not on the registry, so a published manifest has no use for them.
module.exports = {
  hooks: {
    beforePacking(pkg) {
      delete pkg.devDependencies;
      delete pkg.scripts;
      return pkg;
    },
  },
};
