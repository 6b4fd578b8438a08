// Each area owns its folder; this file only re-exports them.
export * from './bleu/index.js';
export * from './ter/index.js';
export * from './meteor/index.js';
export * from './coqa/index.js';
export * from './webnlg/index.js';
export * from './accuracy.js';
export * from './files.js';
