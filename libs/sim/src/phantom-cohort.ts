/**
 * A cohort generated in process by @fedaln/phantom: the same cases, labels.csv feature cells and
 * train/test split that `fedaln-phantom --sites S --cases M --size PX --seed SEED --version V` writes, without
 * files. External sites are the phantom sites of seed SEED + 1000 (other scanners and case mixes;
 * the demo's new-seed check uses the same seed).
 */
import { normaliseGray } from '@fedaln/model';
import {
  DEFAULT_PHANTOM_VERSION,
  generateSite,
  labelsCsv,
  phantomSplit,
  type PhantomVersion,
  siteProfile,
} from '@fedaln/phantom';
import { parseLabelsCsv, streamSeed } from '@fedaln/site-data';
import { type ExternalSite, holdOutValidation, type SimCase, type SimCohort } from './sim-cohort';

/** Seed offset of the external sites (as `npm start`'s check on new phantom sites). */
export const EXTERNAL_SEED_OFFSET = 1000;

export interface PhantomCohortOptions {
  sites: number;
  casesPerSite: number;
  externalSites: number;
  externalCasesPerSite: number;
  /** Image side in pixels: the model's input size. */
  inputSize: number;
  seed: number;
  /** Share of each site's training cases held out for validation. */
  validationFraction: number;
  /** Phantom generator version (`fedaln-phantom --version`); default the phantom's default. */
  version?: PhantomVersion;
}

/** Cases 0…count−1 of phantom site `index` of `seed`, with their split column as the CLI writes it. */
function phantomSite(index: number, seed: number, count: number, size: number, version: PhantomVersion) {
  const generated = generateSite(siteProfile(index, seed, version), count, size);
  const splits = phantomSplit(
    generated.map((c) => c.label),
    streamSeed(seed, index),
  );
  // The feature cells as a site reads them from the labels.csv the phantom writes.
  const rows = parseLabelsCsv(labelsCsv(generated, splits)).records;
  return generated.map((c, i) => ({
    split: splits[i]!,
    simCase: {
      caseId: c.caseId,
      image: normaliseGray(c.pixels),
      label: c.label,
      features: rows[i]!.features,
    } satisfies SimCase,
  }));
}

/**
 * @example
 * const cohort = phantomCohort({ sites: 3, casesPerSite: 324, externalSites: 3,
 *   externalCasesPerSite: 300, inputSize: 64, seed: 1, validationFraction: 0.2 });
 */
export function phantomCohort(o: PhantomCohortOptions): SimCohort {
  const version = o.version ?? DEFAULT_PHANTOM_VERSION;
  const sites = Array.from({ length: o.sites }, (_, k) => {
    const cases = phantomSite(k + 1, o.seed, o.casesPerSite, o.inputSize, version);
    const { train, validation } = holdOutValidation(
      cases.filter((c) => c.split === 'train').map((c) => c.simCase),
      o.validationFraction,
      o.seed,
      k,
    );
    const test = cases.filter((c) => c.split === 'test').map((c) => c.simCase);
    return { name: `site${k + 1}`, train, validation, test };
  });
  const externalSeed = o.seed + EXTERNAL_SEED_OFFSET;
  const external: ExternalSite[] = Array.from({ length: o.externalSites }, (_, k) => ({
    name: `new-site${k + 1}`,
    cases: phantomSite(k + 1, externalSeed, o.externalCasesPerSite, o.inputSize, version).map(
      (c) => c.simCase,
    ),
  }));
  return { sites, external };
}
