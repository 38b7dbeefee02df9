import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'round_participants' })
export class RoundParticipantEntity {
  @PrimaryColumn({ name: 'study_id', type: 'uuid' })
  studyId!: string;

  @PrimaryColumn({ name: 'round_number', type: 'int' })
  roundNumber!: number;

  @PrimaryColumn({ name: 'site_id', type: 'uuid' })
  siteId!: string;

  @Column({ type: 'text' })
  state!: string;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'n_train', type: 'int', nullable: true })
  nTrain!: number | null;

  @Column({ name: 'update_sha256', type: 'text', nullable: true })
  updateSha256!: string | null;

  @Column({ name: 'update_bytes', type: 'bigint', nullable: true })
  updateBytes!: string | null;

  /** `UpdateScreening` (domain/records.ts) as JSON; checked by the mapper on read. */
  @Column({ type: 'jsonb', nullable: true })
  screening!: unknown;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
