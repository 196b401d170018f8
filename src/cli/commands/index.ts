// The subcommands, loaded on first use so that `pciplan validate` never pays for the solver.
export const subCommands = {
  validate: () => import('./validate.js').then((m) => m.default),
  assign: () => import('./assign.js').then((m) => m.default),
  attach: () => import('./attach.js').then((m) => m.default),
  compare: () => import('./compare.js').then((m) => m.default),
  show: () => import('./show.js').then((m) => m.default),
  generate: () => import('./generate.js').then((m) => m.default),
  explain: () => import('./explain.js').then((m) => m.default),
};
