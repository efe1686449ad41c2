/**
 * The architecture's import rules (docs/ARCHITECTURE.md): two halves, bot/ and training/, that
 * share only bot/core/. `npm test` runs `depcruise` with this file; a broken rule fails it by name.
 */
module.exports = {
  forbidden: [
    {
      name: 'training-through-core-only',
      comment:
        'training/ may use the bot only through bot/core/ (the shared core); the bot composes training, not the reverse.',
      severity: 'error',
      from: { path: '^training/' },
      to: { path: '^bot/', pathNot: '^bot/core/' },
    },
    {
      name: 'core-imports-nothing-above-it',
      comment:
        'bot/core/ is the foundation both halves stand on: it imports nothing from the rest of bot/, training/ or scripts/.',
      severity: 'error',
      from: { path: '^bot/core/' },
      to: { path: '^(bot/|training/|scripts/|test/)', pathNot: '^bot/core/' },
    },
    {
      name: 'adapters-no-training',
      comment: 'Adapters hold platform I/O only: they reach training through the assistant and its commands.',
      severity: 'error',
      from: { path: '^bot/adapters/' },
      to: { path: '^training/' },
    },
    {
      name: 'nothing-imports-scripts-or-tests',
      comment: 'scripts/ and test/ are entry points and checks; the product does not depend on them.',
      severity: 'error',
      from: { path: '^(bot|training)/' },
      to: { path: '^(scripts|test)/' },
    },
    {
      name: 'no-cycles',
      comment:
        'No import cycles in bot/, training/ or scripts/ (type-only imports count too: they couple the modules all the same).',
      severity: 'error',
      from: { path: '^(bot|training|scripts)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js'],
    },
  },
};
