/** The two tokenizer packages ship no types; they export one tokenizer object each. */
declare module 'mistral-tokenizer-js' {
  const tokenizer: {
    encode(text: string, addBosToken?: boolean, addPrecedingSpace?: boolean): number[];
    decode(ids: number[], addBosToken?: boolean, addPrecedingSpace?: boolean): string;
    vocabById: string[];
  };
  export default tokenizer;
}
declare module 'llama-tokenizer-js' {
  const tokenizer: {
    encode(text: string, addBosToken?: boolean, addPrecedingSpace?: boolean): number[];
    decode(ids: number[], addBosToken?: boolean, addPrecedingSpace?: boolean): string;
    vocabById: string[];
  };
  export default tokenizer;
}
