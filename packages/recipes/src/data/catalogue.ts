import { UnknownNameError } from '../errors.js';
import type { TaskName } from '../recipes.js';

/**
 * Where each task's data comes from: the official public sources, with a size and sha256 per file. The data folder
 * (the cache `$PEFT_HOME/data`, a mirror, `--data`, `PEFT_DATA`) has one layout for all of them: each `path` below is
 * relative to it. The files are those the recipes and the metrics commands read, plus WebNLG's official evaluation
 * references (the files of the official WebNLG 2017 scorer).
 */
export interface DataFile {
  /** Relative path in the data folder, `/`-separated. */
  readonly path: string;
  /** Bytes; `undefined` when no published size is known (then only a complete HTTP body is checked). */
  readonly size: number | undefined;
  /** Hex sha256; `undefined` when no published checksum exists (then the file is NOT verified: `peft data` says so). */
  readonly sha256: string | undefined;
  /** Where the checksum comes from, or why there is none. */
  readonly checksumSource: string;
  /** The official source: a URL, or a member of an archive of {@link TaskData.archives}. */
  readonly source: { readonly url: string } | { readonly archive: string; readonly member: string };
}

/** A zip the official source ships; its members are extracted into the data folder. */
export interface DataArchive {
  readonly url: string;
  readonly size: number;
  readonly sha256: string;
  readonly checksumSource: string;
}

export interface TaskData {
  readonly task: TaskName;
  readonly title: string;
  readonly licence: string;
  readonly files: readonly DataFile[];
  readonly archives: Readonly<Record<string, DataArchive>>;
}

/** The catalogue a download works from: every task's files. Tests inject their own. */
export type DataCatalogue = Readonly<Record<string, TaskData>>;

const PREFIX_TUNING = 'https://raw.githubusercontent.com/XiangLi1999/PrefixTuning/6519d30e69b15a180f23e2cd41b766d3f62b8e82/data/webnlg_challenge_2017';
const DART_REFERENCES =
  'https://raw.githubusercontent.com/Yale-LILY/dart/bb644b12ec1d0264f96a31145534b9a94f6ff5f5/evaluation/webnlg-automatic-evaluation/references';
// Computed from the repository's reference copy of these files; each is byte-identical to the file at the URL: the two
// regenerated JSON files have the git blob ids recorded in the PrefixTuning tree, the rest were copied from it.
const WEBNLG_CHECKSUM = 'sha256 of the file at this commit (git blob ids checked against the PrefixTuning tree)';
const DART_CHECKSUM = 'sha256 of the file at this commit (re-created byte for byte by the official evaluation.py)';

const prefixTuning = (path: string, size: number, sha256: string): DataFile => ({
  path: `webnlg/webnlg_challenge_2017/${path}`, size, sha256, checksumSource: WEBNLG_CHECKSUM, source: { url: `${PREFIX_TUNING}/${path}` },
});
const dartReference = (name: string, size: number, sha256: string): DataFile => ({
  path: `webnlg/official-eval-references/${name}`, size, sha256, checksumSource: DART_CHECKSUM, source: { url: `${DART_REFERENCES}/${name}` },
});

// GLUE's zips: size and sha256 from tensorflow/datasets tensorflow_datasets/url_checksums/glue.txt (GLUE's former
// firebase URLs) and the `download_checksums` of Hugging Face's `glue` dataset infos for the dl.fbaipublicfiles.com
// URLs (the same size and sha256).
const GLUE_ZIP_CHECKSUM = 'tensorflow_datasets url_checksums/glue.txt; Hugging Face glue dataset_infos download_checksums';
// SST-2 members: sha256 of train.tsv / dev.tsv as extracted from SST-2.zip; equal to the Git-LFS oids of SST-2/train.tsv
// and SST-2/dev.tsv in blueraft/distil-bilstm (and thrudgelmir/datas for train.tsv), two independent uploads.
const SST2_MEMBER_CHECKSUM = 'Git-LFS oid of SST-2/*.tsv in blueraft/distil-bilstm and thrudgelmir/datas (independent uploads)';
// MNLI members: NO published per-file checksum or size was found (only the zip's). Extracted from the verified zip they
// are as good as the zip; copied from a mirror they are checked for a complete body only, and `peft data` says so.
const MNLI_NO_CHECKSUM = 'none published for the extracted file (only MNLI.zip has one): NOT verified when taken from a mirror';
// CoQA: size and sha256 from tensorflow/datasets tensorflow_datasets/question_answering/coqa/checksums.tsv; the train
// file's sha256 is also ParlAI's CoQA DownloadableFile entry.
const COQA_CHECKSUM = 'tensorflow_datasets question_answering/coqa/checksums.tsv (train: also ParlAI)';

export const DATA_CATALOGUE: DataCatalogue = {
  webnlg: {
    task: 'webnlg',
    title: 'WebNLG Challenge 2017 (prefix-tuning JSON, the test XML, the official evaluation references)',
    licence: 'CC BY-NC-SA 4.0 (WebNLG corpus); non-commercial use only',
    archives: {},
    files: [
    prefixTuning('train.json', 20_771_939, '180edb6011360608c8548d4551366a9d55f140cbf9bc9397fbf4d97f6a89c639'),
    prefixTuning('dev.json', 2_596_106, '50f5a2c24d760bc84ba3e852707cd3b43b0cf2da035b425f87945a2440880488'),
    prefixTuning('test.json', 5_610_377, '2574896b23b5959d1a0cd4bb501ffbeff1a11790a9996c4cb8efed289149ff4f'),
    prefixTuning('test/testdata_with_lex.xml', 2_129_537, '43287905cbfe47697232d569ea6ff072d598282da2ea022bc435ca26b943cd93'),
    dartReference('gold-all-cat-reference-3ref-space.ter', 629_242, '65b0b2d5df016cf29a851cd10d6486a5546602f235b27112bf4c970f72cb0fa5'),
    dartReference('gold-all-cat-reference-3ref.meteor', 587_976, 'cfb763aa439b5ebb803ba8a079cfd4a481dae9d1c65ae8cbe99c1ef82e190f0c'),
    dartReference('gold-all-cat-reference-3ref.ter', 628_550, '002ea089614a36b186991959e05fc8ceac78819b12a5612a4c743ac9ac8ef1bd'),
    dartReference('gold-all-cat-reference0.lex', 221_373, 'e8100ec788238941771a9ea54f845d788439c20f3af491cc4638f7823e8d23ea'),
    dartReference('gold-all-cat-reference1.lex', 210_792, '8847bca89c635665e54fb54f9c4ce9a5a399a5bf0b6aebbede7688ac502e337f'),
    dartReference('gold-all-cat-reference2.lex', 155_811, '4ddcd6b6e3d20908c6fb744ecf27efac5398712e0f1a84abd60ed4062eafde64'),
    dartReference('gold-all-cat-reference3.lex', 3_151, '324afda295ba2dbfd5b734d296d36ae67d6ad9bcafadd8dce345a99a1873b5d5'),
    dartReference('gold-all-cat-reference4.lex', 2_522, 'b8ec25a712f7b2e9ff6c619438f19a609ab58288d19980e5dbf3b2c15baa7bf2'),
    dartReference('gold-all-cat-reference5.lex', 2_211, '9ba712fbfbf70eb33b40073604fe025ce2526cf98be3686234e6ec1dfc266003'),
    dartReference('gold-all-cat-reference6.lex', 2_035, '3d58c3f814b4d5640e38794b1544ca9ac16877bfef5e4de29a3786bee0d65ba5'),
    dartReference('gold-all-cat-reference7.lex', 1_950, 'f6f7d1640513b23863b908ed56c2a89c26883f03debeeb319328afcd67db6bfa'),
    dartReference('gold-new-cat-reference-3ref-space.ter', 300_127, '62666f739fc91a18365c73c4d6b5c1bb2a693822cda616f55350461d0a3debe1'),
    dartReference('gold-new-cat-reference-3ref.meteor', 280_919, '8276f9b799da1771c29e0f73b1e2293382c2bad209977cc4ec95ca31f35b9d86'),
    dartReference('gold-new-cat-reference-3ref.ter', 299_885, 'b629ef267c6d30537d6ab1f416117d51449ed0f19b86fcd6bcf3ec5ef004136a'),
    dartReference('gold-new-cat-reference0.lex', 100_337, 'cdff2854d18f24e1facb564a64a4f18947c2682ef44725627aadbc38c2168c8f'),
    dartReference('gold-new-cat-reference1.lex', 98_315, '1cc9998939fd3341ff8de6d8924040701c65b57a115b270222c1d2c44231adf9'),
    dartReference('gold-new-cat-reference2.lex', 82_267, 'fa612857bbc3e833edcb9f8c349e65e160ce9a128463e080f8fc7df1fc8a87d3'),
    dartReference('gold-new-cat-reference3.lex', 959, '0ab389c07225ec49659fe187e9d34c3070f8ac14d13b41788f3099307a156e4d'),
    dartReference('gold-new-cat-reference4.lex', 953, 'acf9c8bcdc181bfb574eb504856629d44f0773149b9eae1a3ee3769dc61f331f'),
    dartReference('gold-old-cat-reference-3ref-space.ter', 326_506, 'ab9bfd96c38715166cfa3337fb9a07aba0440c0c1a09f170f70340d2e373c957'),
    dartReference('gold-old-cat-reference-3ref.meteor', 307_057, '7d9fef3f123dfb2a374e21ef27abb88402fff54e2dacdae498d1baeed539ac29'),
    dartReference('gold-old-cat-reference-3ref.ter', 326_056, '3a054a2f1e3b997f7ef910cfdcf375163f8ffe2ada8149b570987b81d9bab2fe'),
    dartReference('gold-old-cat-reference0.lex', 121_036, 'b00976cc3cc9b27d9f18cddb2bde136b0b05560d7ed052cdf2f323c6607792cf'),
    dartReference('gold-old-cat-reference1.lex', 112_477, '71af666b202fc3ef17627a160d97b5d164dd16f03bd18e156a46bdabdfe739ea'),
    dartReference('gold-old-cat-reference2.lex', 73_544, 'fac5712e0d0aaac642f543b209842e648f8af3ef0f4afb425c7a8a69c9179318'),
    dartReference('gold-old-cat-reference3.lex', 2_192, '740e1353112c1eee81816c268e9031af166650df0ce419c51269d0eae28518fc'),
    dartReference('gold-old-cat-reference4.lex', 1_569, '78faf6016c95b89d40886ea6c85f8a3557be4745adfd3b87d2f610316b458e35'),
    dartReference('gold-old-cat-reference5.lex', 1_320, 'dbc75269421bb4be8494d671dd9c2d42a7da8790595cef38dca45dc0c95ad71e'),
    dartReference('gold-old-cat-reference6.lex', 1_144, 'cab0f6d145792cb14e118623bbd5f9acbb57ff30dc83ad09accf284423464635'),
    dartReference('gold-old-cat-reference7.lex', 1_059, '54541acc7d18a8f3ec2be015a80013c36a44b82961b134b91c4139ed59b3ce85'),
    ],
  },
  sst2: {
    task: 'sst2',
    title: 'GLUE SST-2 (train, dev)',
    licence: 'no explicit licence (SST: Socher et al. 2013; cite GLUE, Wang et al. 2019)',
    archives: {
      'SST-2.zip': { url: 'https://dl.fbaipublicfiles.com/glue/data/SST-2.zip', size: 7_439_277, sha256: 'd67e16fb55739c1b32cdce9877596db1c127dc322d93c082281f64057c16deaa', checksumSource: GLUE_ZIP_CHECKSUM },
    },
    files: [
      { path: 'sst2/SST-2/train.tsv', size: 3_806_081, sha256: '48eac26399f8456935f81dd9e3a745c1430adb6c62e233ccfe22db4a0d15d1d1', checksumSource: SST2_MEMBER_CHECKSUM, source: { archive: 'SST-2.zip', member: 'SST-2/train.tsv' } },
      { path: 'sst2/SST-2/dev.tsv', size: 94_931, sha256: '54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0', checksumSource: SST2_MEMBER_CHECKSUM, source: { archive: 'SST-2.zip', member: 'SST-2/dev.tsv' } },
    ],
  },
  mnli: {
    task: 'mnli',
    title: 'GLUE MNLI (train, dev matched, dev mismatched)',
    licence: 'see GLUE (MultiNLI: OANC / CC BY-SA 3.0 parts; cite Williams et al. 2018)',
    archives: {
      'MNLI.zip': { url: 'https://dl.fbaipublicfiles.com/glue/data/MNLI.zip', size: 312_783_507, sha256: 'e7c1d896d26ed6caf700110645df426cc2d8ebf02a5ab743d5a5c68ac1c83633', checksumSource: GLUE_ZIP_CHECKSUM },
    },
    files: ['train.tsv', 'dev_matched.tsv', 'dev_mismatched.tsv'].map((name) => ({
      path: `mnli/MNLI/${name}`, size: undefined, sha256: undefined, checksumSource: MNLI_NO_CHECKSUM, source: { archive: 'MNLI.zip', member: `MNLI/${name}` },
    })),
  },
  coqa: {
    task: 'coqa',
    title: 'CoQA v1.0 (train, dev)',
    licence: 'CC BY-SA 4.0 (Literature, Wikipedia); MCTest, RACE, CNN passages under their own licences',
    archives: {},
    files: [
      { path: 'coqa/coqa-train-v1.0.json', size: 49_001_836, sha256: 'b0fdb2bc1bd38dd3ca2ce5fa2ac3e02c6288ac914f241ac409a655ffb6619fa6', checksumSource: COQA_CHECKSUM, source: { url: 'https://nlp.stanford.edu/data/coqa/coqa-train-v1.0.json' } },
      { path: 'coqa/coqa-dev-v1.0.json', size: 9_090_845, sha256: 'dfa367a9733ce53222918d0231d9b3bedc2b8ee831a2845f62dfc70701f2540a', checksumSource: COQA_CHECKSUM, source: { url: 'https://nlp.stanford.edu/data/coqa/coqa-dev-v1.0.json' } },
    ],
  },
};

/** The tasks `peft data get` knows, in the catalogue's order. */
export const DATA_TASKS: readonly string[] = Object.keys(DATA_CATALOGUE);

/** One task's entry; an unknown name is an {@link UnknownNameError} listing the known ones. */
export function taskData(task: string, catalogue: DataCatalogue = DATA_CATALOGUE): TaskData {
  const entry = Object.hasOwn(catalogue, task) ? catalogue[task] : undefined;
  if (!entry) throw new UnknownNameError('data set', task, Object.keys(catalogue));
  return entry;
}
