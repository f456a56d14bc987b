// The request headers that make a GET/HEAD conditional or partial: what the object and
// large-object layers pass on to the reads they make. Their evaluation is
// common/conditional-requests.ts (swob's, shared with the object servers).
export const CONDITIONAL_HEADERS = ['range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since'] as const;
