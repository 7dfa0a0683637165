/**
 * The stages of src/, in the order data flows through them. A module may import modules of its own stage and of
 * earlier ones, never of a later one; and no modules may import each other in a circle.
 * `npm run lint:deps` (part of `npm test`) checks it.
 */
const STAGES = [
  ['base', '^src/(backend|backendDescription|messages|random|version)\\.ts$'],
  ['files', '^src/files/'],
  ['corpus', '^src/corpus/'],
  ['vocab', '^src/vocab/'],
  ['data', '^src/data/'],
  ['model', '^src/model/'],
  ['engines', '^src/engines/'],
  ['families', '^src/families/'],
  ['train', '^src/train/'],
  ['sample', '^src/sample/'],
  ['io', '^src/io/'],
  ['interop', '^src/interop/'],
  ['plot', '^src/plot/'],
  ['session', '^src/session/'],
  ['web', '^src/web/'],
  ['entry points', '^src/(cli\\.ts|cli/|index\\.ts|browser\\.ts)'],
];

const laterThan = (index) => STAGES.slice(index + 1);

module.exports = {
  forbidden: [
    ...STAGES.slice(0, -1).map(([name, path], index) => ({
      name: `${name}-imports-a-later-stage`,
      comment:
        `The ${name} stage may import only itself and earlier stages (${
          STAGES.slice(0, index)
            .map(([n]) => n)
            .join(', ') || 'none'
        }), ` +
        `not ${laterThan(index)
          .map(([n]) => n)
          .join(', ')}.`,
      severity: 'error',
      from: { path },
      to: { path: laterThan(index).map(([, later]) => later) },
    })),
    {
      name: 'no-circular',
      comment: 'Modules that import each other (directly or around a circle) cannot be read or changed one at a time.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'every-module-in-a-stage',
      comment: 'A module outside every stage has no place in the order; put it in the folder of its stage.',
      severity: 'error',
      from: { path: '^src/', pathNot: STAGES.map(([, path]) => path) },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    exclude: { path: '\\.d\\.ts$' },
  },
};
