// Which language a text is in, by script, and which language token a bilingual model needs
// to translate it into the other language.

const HAN = /\p{Script=Han}/gu;
const LATIN = /\p{Script=Latin}/gu;

/** `zh` when Han characters outnumber Latin letters, `en` when Latin letters do, else undefined. */
export function detectLanguage(text: string): 'zh' | 'en' | undefined {
  const han = text.match(HAN)?.length ?? 0;
  const latin = text.match(LATIN)?.length ?? 0;
  if (han === 0 && latin === 0) return undefined;
  // One Han character carries about as much as a short word.
  return han * 3 >= latin ? 'zh' : 'en';
}

/** The target language: the requested one, or for `auto` the other language of the pair. */
export function targetLanguageFor(text: string, available: readonly string[], requested = 'auto'): string | undefined {
  if (requested !== 'auto') return available.includes(requested) ? requested : undefined;
  const source = detectLanguage(text);
  return available.find((language) => language !== source) ?? available[0];
}

export function languageTokenFor(text: string, languageTokens: Readonly<Record<string, string>>, requested?: string): string | undefined {
  const language = targetLanguageFor(text, Object.keys(languageTokens), requested ?? 'auto');
  return language === undefined ? undefined : languageTokens[language];
}

/** The writing system a language is written in, as far as telling texts apart needs. */
export function scriptOf(language: string): 'han' | 'latin' | 'other' {
  if (['zh', 'ja'].includes(language)) return 'han';
  if (['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'sv', 'da', 'no', 'fi', 'pl', 'cs', 'ro', 'hu', 'tr', 'vi', 'id'].includes(language)) return 'latin';
  return 'other';
}

/** Script of a text: the one its letters mostly belong to. */
export function scriptOfText(text: string): 'han' | 'latin' | 'other' | undefined {
  const language = detectLanguage(text);
  return language === undefined ? (/\p{L}/u.test(text) ? 'other' : undefined) : scriptOf(language);
}

export interface LanguageAbilities {
  readonly languageTokens?: Readonly<Record<string, string>>;
  readonly languagePair?: { readonly source: string; readonly target: string };
}

/**
 * The language to translate `text` into with this model, or undefined when there is nothing to
 * translate: no letters, text already in the target language, or text the model cannot read.
 */
export function translationTarget(text: string, model: LanguageAbilities, preferred: string): string | undefined {
  const script = scriptOfText(text);
  if (script === undefined) return undefined;
  if (model.languageTokens) {
    const source = detectLanguage(text);
    const target = preferred in model.languageTokens ? preferred : Object.keys(model.languageTokens).find((language) => language !== source);
    return source === target ? undefined : target;
  }
  if (model.languagePair) {
    const { source, target } = model.languagePair;
    // A pair in two scripts (zh→en) reads only its source script; one in a shared script (de→en) reads that script.
    return script === scriptOf(source) ? target : undefined;
  }
  // Both ways: into whichever of the two the text is not in.
  if (preferred === 'both') return detectLanguage(text) === 'zh' ? 'en' : 'zh';
  return detectLanguage(text) === preferred ? undefined : preferred;
}
