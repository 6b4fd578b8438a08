export { normalizeAnswer, answerTokens, exactMatch, tokenF1, turnScore } from './normalize.js';
export {
  evaluateCoqa,
  COQA_IN_DOMAIN,
  COQA_OUT_DOMAIN,
  COQA_DOMAIN_NAMES,
  type CoqaSource,
  type CoqaDomainScore,
  type CoqaScores,
  type CoqaEvaluation,
} from './evaluator.js';
