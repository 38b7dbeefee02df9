import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'global_models' })
export class GlobalModelEntity {
  @PrimaryColumn({ name: 'study_id', type: 'uuid' })
  studyId!: string;

  @PrimaryColumn({ type: 'int' })
  version!: number;

  @Column({ type: 'text' })
  sha256!: string;

  /** bigint comes back from pg as a string. */
  @Column({ type: 'bigint' })
  bytes!: string;

  @Column({ name: 'round_number', type: 'int', nullable: true })
  roundNumber!: number | null;

  /** FedAdam: the blob of the server optimizer's moments after this version (migration 1764600000000). */
  @Column({ name: 'server_state_sha256', type: 'text', nullable: true })
  serverStateSha256!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
