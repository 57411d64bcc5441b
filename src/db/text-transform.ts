/** A module that turns rows into text, loaded where the rows are read, and the options it is created with. */
export interface TextTransform {
  /** The module's URL; it exports `createTextTransform(options)`. */
  module: string;
  /** Passed to it as is (structured-cloneable). */
  options: unknown;
}

/** What a text transform module makes for one stream: text for each batch of rows in order, then for their end. */
export interface TextTransformer {
  batch(rows: readonly unknown[]): string;
  end(): string;
}

/** Creates a stream's transformer from its module (the same code in the read worker and in this process). */
export async function loadTextTransform({ module, options }: TextTransform): Promise<TextTransformer> {
  const loaded = (await import(module)) as { createTextTransform(options: unknown): TextTransformer };
  return loaded.createTextTransform(options);
}
