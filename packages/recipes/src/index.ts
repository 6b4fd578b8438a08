// @peft/recipes: the paper's training recipes (data, one training loop, reports) and the `peft` command.
// What a page can run too is browser.ts (the `browser` export condition); the rest here is for Node only.
export * from './browser.js';
export * from './train/events.js';
export * from './report/render-chart.js';
export * from './cli/demo-files.js';
export * from './data/catalogue.js';
export * from './data/data-folder.js';
export { getData, inspectData, parseMirror, type DataSource, type FileState, type GetDataOptions } from './data/get-data.js';
export { closeDownloadClient, type ProgressListener } from './data/fetch-file.js';
// for the packages that add commands to `peft` (@peft/sweep): the option helpers, the backend choice, the CLI's path
export { flagOption, integerParser, numberParser, repeatableParser, valueOption, type CliIo, type OptionParser } from './cli/option-parsers.js';
export { useBackend } from './cli/backend.js';
export { checkTrainOptionValue, trainOptions } from './cli/train-command.js';
export { peftCliPath } from './cli/peft-cli-path.js';
export { describeModelFolder, loadModelFolder, loadTokenizerFolder, registerOptionalModels } from './models.js';
