// Shared shapes of the reward functions. Rewards follow TRL's convention
// (`rewards/accuracy_rewards.py`): a function of the completions and a context object, returning one score
// per completion, with null meaning "not applicable to this sample" (skipped by a NaN-aware sum).

/** A completion as plain text or as chat messages (the last assistant message is scored). */
export type CompletionInput = string | readonly { role: string; content: string }[];

export type RewardFunction<Ctx> = (completions: readonly CompletionInput[], ctx: Ctx) => (number | null)[];
export type AsyncRewardFunction<Ctx> = (completions: readonly CompletionInput[], ctx: Ctx) => Promise<(number | null)[]>;

/** The text of a completion: the string itself, or the content of the last assistant message. */
export function completionText(completion: CompletionInput): string {
  if (typeof completion === 'string') return completion;
  for (let i = completion.length - 1; i >= 0; i--) if (completion[i].role === 'assistant') return completion[i].content;
  return completion.length > 0 ? completion[completion.length - 1].content : '';
}

/** Throws when a per-sample context array does not line up with the completions. */
export function checkAligned(name: string, values: readonly unknown[] | undefined, n: number): void {
  if (values !== undefined && values.length !== n) {
    throw new Error(`${name} has ${values.length} entries but there are ${n} completions`);
  }
}
