import { DataFormatError } from '../errors.js';
import { readJsonFile } from './read-file.js';

/** One CoQA turn as a dialogue example: the history up to this question and the gold reply (spec §7.3). */
export interface CoqaTurn {
  /** The story's `id` (what the official scorer keys predictions by, with `turnId`). */
  readonly storyId: string;
  readonly turnId: number;
  readonly story: string;
  /** q1, a1, …, q_t: every earlier question and answer, then this question. */
  readonly history: readonly string[];
  /** The gold answer's free-form `input_text` (the reply the model learns). */
  readonly answer: string;
  /** All gold answers of the turn: the main one, then `additional_answers` in key order (for EM/F1). */
  readonly goldAnswers: readonly string[];
  readonly source: string;
}

/**
 * Reads the official `coqa-{train,dev}-v1.0.json`: `{version, data: [{source, id, filename, story,
 * questions: [{input_text, turn_id}], answers: [{span_start, span_end, span_text, input_text, turn_id}],
 * additional_answers?: {key: [answer…]}}]}`, one turn per question.
 */
export function loadCoqa(file: string): CoqaTurn[] {
  return coqaFromJson(readJsonFile(file), file);
}

export function coqaFromJson(doc: unknown, file: string): CoqaTurn[] {
  const data = (doc as { data?: unknown })?.data;
  if (!Array.isArray(data)) throw new DataFormatError(file, 0, "top level must be an object with a 'data' array (official CoQA format)");
  const out: CoqaTurn[] = [];
  data.forEach((raw, i) => {
    const s = raw as Record<string, unknown>;
    const where = `data[${i}]${typeof s?.id === 'string' ? ` (id ${s.id})` : ''}`;
    const need = (cond: boolean, what: string): void => {
      if (!cond) throw new DataFormatError(file, 0, `${where}: ${what}`);
    };
    need(typeof s?.id === 'string', "'id' must be a string");
    need(typeof s.story === 'string', "'story' must be a string");
    need(Array.isArray(s.questions), "'questions' must be an array");
    need(Array.isArray(s.answers), "'answers' must be an array");
    const qs = s.questions as Record<string, unknown>[];
    const as = s.answers as Record<string, unknown>[];
    need(qs.length === as.length, `${qs.length} questions but ${as.length} answers`);
    const extra = (s.additional_answers ?? {}) as Record<string, unknown>;
    need(typeof extra === 'object' && !Array.isArray(extra), "'additional_answers' must be an object of arrays");
    const extraLists = Object.keys(extra)
      .sort()
      .map((k) => {
        need(Array.isArray(extra[k]), `additional_answers['${k}'] must be an array`);
        return extra[k] as Record<string, unknown>[];
      });
    const history: string[] = [];
    qs.forEach((q, t) => {
      const a = as[t]!;
      need(typeof q?.input_text === 'string', `questions[${t}].input_text must be a string`);
      need(typeof a?.input_text === 'string', `answers[${t}].input_text must be a string`);
      need(Number.isInteger(q.turn_id), `questions[${t}].turn_id must be an integer`);
      need(a.turn_id === q.turn_id, `answers[${t}].turn_id ${String(a.turn_id)} ≠ questions[${t}].turn_id ${String(q.turn_id)}`);
      history.push(q.input_text as string);
      const golds = [a.input_text as string];
      for (const list of extraLists) {
        const alt = list.find((x) => x?.turn_id === q.turn_id) ?? list[t];
        if (alt && typeof alt.input_text === 'string') golds.push(alt.input_text);
      }
      out.push({
        storyId: s.id as string,
        turnId: q.turn_id as number,
        story: s.story as string,
        history: [...history],
        answer: a.input_text as string,
        goldAnswers: golds,
        source: typeof s.source === 'string' ? s.source : '',
      });
      history.push(a.input_text as string);
    });
  });
  return out;
}
