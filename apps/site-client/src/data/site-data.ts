import { siteImageOpener } from '@fedaln/model';
import { readSiteFolder, validationHoldOut, type SiteCase, type SiteFolder } from '@fedaln/site-data';
import { formatDataReport } from './data-report';
import { dataSufficiency, type DataSufficiency } from './data-sufficiency';

/**
 * The site's data folder, checked once and decoded per input size on demand (a study fixes one size,
 * so in practice once). Decoded images stay in memory: a few hundred cases at 224 px are ~60 MB each
 * way, far less than a DenseNet201 training step.
 */
export class SiteData {
  private readonly decoded = new Map<number, Promise<SiteFolder>>();

  constructor(
    readonly dir: string,
    readonly seed: number,
  ) {}

  /**
   * Reads labels.csv and decodes every image once (at 8 px) to find unreadable files.
   * @example const { lines, sufficiency } = await data.check(2);
   */
  async check(minPerClass: number): Promise<{ folder: SiteFolder; sufficiency: DataSufficiency; lines: string[] }> {
    const folder = await readSiteFolder(this.dir, { seed: this.seed, openImage: siteImageOpener() });
    const sufficiency = dataSufficiency(folder.counts, minPerClass);
    const lines = formatDataReport({
      dir: folder.dir,
      counts: folder.counts,
      bad: folder.bad,
      splitSource: folder.splitSource,
      seed: this.seed,
      sufficiency,
    });
    return { folder, sufficiency, lines };
  }

  /** The usable cases of `split` with images decoded and normalised at `inputSize`. */
  async cases(split: 'train' | 'test' | 'all', inputSize: number): Promise<SiteCase[]> {
    let folder = this.decoded.get(inputSize);
    if (!folder) {
      folder = readSiteFolder(this.dir, { seed: this.seed, openImage: siteImageOpener(inputSize) });
      this.decoded.set(inputSize, folder);
    }
    const cases = (await folder).cases;
    return split === 'all' ? cases : cases.filter((c) => c.split === split);
  }

  /**
   * The train split divided as a study asks (task `validation_fraction`, issue 15): the cases that
   * train, and the seeded stratified validation cases held out from them (`validationHoldOut`, seeded
   * by the site's seed, so every round and the post-training fits see the same cases).
   *
   * @example const { train, validation } = await data.trainAndValidation(64, 0.2);
   */
  async trainAndValidation(
    inputSize: number,
    validationFraction: number,
  ): Promise<{ train: SiteCase[]; validation: SiteCase[] }> {
    return validationHoldOut(await this.cases('train', inputSize), {
      seed: this.seed,
      fraction: validationFraction,
    });
  }
}
