// Corpus EM / F1 with the in-domain / out-domain breakdown, as the official CoQA evaluate-v1.0.py computes it
// from a parsed gold file (coqa-dev-v1.0.json layout) and a parsed prediction list [{id, turn_id, answer}].

import { MetricsInputError } from '../bleu/errors.js';
import { pyRound } from '../bleu/decimal-format.js';
import { turnScore } from './normalize.js';

export const COQA_IN_DOMAIN = ['mctest', 'gutenberg', 'race', 'cnn', 'wikipedia'] as const;
export const COQA_OUT_DOMAIN = ['reddit', 'science'] as const;
export const COQA_DOMAIN_NAMES: Readonly<Record<CoqaSource, string>> = {
  mctest: 'children_stories',
  gutenberg: 'literature',
  race: 'mid-high_school',
  cnn: 'news',
  wikipedia: 'wikipedia',
  science: 'science',
  reddit: 'reddit',
};

export type CoqaSource = (typeof COQA_IN_DOMAIN)[number] | (typeof COQA_OUT_DOMAIN)[number];

/** em / f1 are percentages rounded to one decimal (Python round, ties to even on the exact value). */
export interface CoqaDomainScore {
  em: number;
  f1: number;
  turns: number;
}

/** Keys in the script's order: the 7 domain names, then in_domain, out_domain, overall. */
export type CoqaScores = Record<string, CoqaDomainScore>;

export interface CoqaEvaluation {
  scores: CoqaScores;
  /** Gold turns without a prediction (scored 0), as "storyId turnId". */
  missing: string[];
}

interface GoldTurn {
  storyId: string;
  turnId: unknown;
  answers: string[];
}

interface FileNames {
  goldFile?: string;
  predFile?: string;
}

/**
 * A hashable stand-in for Python's (story_id, turn_id) tuple key: 1, 1.0 and True are equal keys in Python,
 * the string '1' is not.
 */
function pythonKeyPart(value: unknown, what: string, file: string | undefined): string {
  if (typeof value === 'string') return `s:${value}`;
  if (typeof value === 'number') return `n:${value}`;
  if (typeof value === 'boolean') return `n:${value ? 1 : 0}`;
  if (value === null) return 'null';
  throw new MetricsInputError('INVALID_DATA', `${what} must be a string or a number, got ${JSON.stringify(value)}`, {
    file,
  });
}

function turnKey(storyId: unknown, turnId: unknown, file: string | undefined): string {
  return `${pythonKeyPart(storyId, 'id', file)}\u0000${pythonKeyPart(turnId, 'turn_id', file)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readGold(gold: unknown, file: string | undefined) {
  const bad = (message: string) => new MetricsInputError('INVALID_DATA', `CoQA gold data: ${message}`, { file });
  if (!isRecord(gold) || !Array.isArray(gold.data)) throw bad('expected an object with a "data" array');
  const turns = new Map<string, GoldTurn>();
  const sourceOf = new Map<string, string>();
  gold.data.forEach((story: unknown, storyIndex) => {
    if (!isRecord(story)) throw bad(`data[${storyIndex}] is not an object`);
    const { source, id, questions, answers, additional_answers: additional } = story;
    if (typeof source !== 'string' || typeof id !== 'string') throw bad(`data[${storyIndex}] lacks "source"/"id"`);
    if (!Array.isArray(questions) || !Array.isArray(answers) || !isRecord(additional)) {
      throw bad(`story ${id} lacks "questions", "answers" or "additional_answers"`);
    }
    sourceOf.set(id, source);
    const answerSets: unknown[][] = [answers, ...Object.values(additional).map((set) => set as unknown[])];
    questions.forEach((question: unknown, i) => {
      if (!isRecord(question)) throw bad(`story ${id} question ${i + 1} is not an object`);
      const goldAnswers = answerSets.map((set, k) => {
        const answer: unknown = Array.isArray(set) ? set[i] : undefined;
        if (!isRecord(answer) || typeof answer.input_text !== 'string') {
          throw bad(`story ${id}: answer set ${k} has no input_text for question ${i + 1}`);
        }
        return answer.input_text;
      });
      const key = turnKey(id, question.turn_id, file);
      const existing = turns.get(key);
      if (existing) existing.answers = goldAnswers; // a Python dict keeps the first position, the last value
      else turns.set(key, { storyId: id, turnId: question.turn_id, answers: goldAnswers });
    });
  });
  return { turns, sourceOf };
}

function readPredictions(preds: unknown, file: string | undefined): Map<string, unknown> {
  if (!Array.isArray(preds)) {
    throw new MetricsInputError('INVALID_DATA', 'CoQA predictions: expected a JSON array of {id, turn_id, answer}', {
      file,
    });
  }
  const byKey = new Map<string, unknown>();
  preds.forEach((pred: unknown, index) => {
    if (!isRecord(pred) || !('id' in pred) || !('turn_id' in pred) || !('answer' in pred)) {
      throw new MetricsInputError('INVALID_DATA', `CoQA predictions: entry ${index} lacks id, turn_id or answer`, {
        file,
      });
    }
    byKey.set(turnKey(pred.id, pred.turn_id, file), pred.answer);
  });
  return byKey;
}

function domainScore(emTotal: number, f1Total: number, turns: number): CoqaDomainScore {
  const denominator = Math.max(1, turns);
  return { em: pyRound((emTotal / denominator) * 100, 1), f1: pyRound((f1Total / denominator) * 100, 1), turns };
}

/** The official script's model_performance. `gold` and `preds` are the parsed JSON files. */
export function evaluateCoqa(gold: unknown, preds: unknown, files: FileNames = {}): CoqaEvaluation {
  const { turns, sourceOf } = readGold(gold, files.goldFile);
  const predictions = readPredictions(preds, files.predFile);
  const known: readonly string[] = [...COQA_IN_DOMAIN, ...COQA_OUT_DOMAIN];
  const totals = new Map<string, { em: number; f1: number; turns: number }>(
    known.map((source) => [source, { em: 0, f1: 0, turns: 0 }]),
  );
  const missing: string[] = [];
  for (const [key, turn] of turns) {
    const source = sourceOf.get(turn.storyId)!;
    const bucket = totals.get(source);
    if (!bucket) {
      throw new MetricsInputError('INVALID_DATA', `CoQA gold data: story ${turn.storyId} has unknown source "${source}"`, {
        file: files.goldFile,
      });
    }
    bucket.turns += 1;
    if (!predictions.has(key)) {
      missing.push(`${turn.storyId} ${String(turn.turnId)}`);
      continue;
    }
    const answer = predictions.get(key);
    if (typeof answer !== 'string') {
      throw new MetricsInputError(
        'INVALID_DATA',
        `CoQA predictions: answer for ${turn.storyId} turn ${String(turn.turnId)} is not a string`,
        { file: files.predFile },
      );
    }
    const score = turnScore(turn.answers, answer);
    bucket.em += score.em;
    bucket.f1 += score.f1;
  }

  const scores: CoqaScores = {};
  const sums = { in: { em: 0, f1: 0, turns: 0 }, out: { em: 0, f1: 0, turns: 0 } };
  for (const source of known) {
    const bucket = totals.get(source)!;
    scores[COQA_DOMAIN_NAMES[source as CoqaSource]] = domainScore(bucket.em, bucket.f1, bucket.turns);
    const side = (COQA_IN_DOMAIN as readonly string[]).includes(source) ? sums.in : sums.out;
    side.em += bucket.em;
    side.f1 += bucket.f1;
    side.turns += bucket.turns;
  }
  scores.in_domain = domainScore(sums.in.em, sums.in.f1, sums.in.turns);
  scores.out_domain = domainScore(sums.out.em, sums.out.f1, sums.out.turns);
  scores.overall = domainScore(sums.in.em + sums.out.em, sums.in.f1 + sums.out.f1, sums.in.turns + sums.out.turns);
  return { scores, missing };
}
