/** The seed `npm run samples` uses; the committed samples are made with it. */
export const DEFAULT_SEED = 20260501;
