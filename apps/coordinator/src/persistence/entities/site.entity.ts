import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'sites' })
export class SiteEntity {
  @PrimaryColumn({ type: 'uuid', default: () => 'gen_random_uuid()' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'approved_n_train', type: 'int', nullable: true })
  approvedNTrain!: number | null;

  @Column({ name: 'approved_n_test', type: 'int', nullable: true })
  approvedNTest!: number | null;

  @Column({ name: 'claimed_n_train', type: 'int', nullable: true })
  claimedNTrain!: number | null;

  @Column({ name: 'claimed_n_test', type: 'int', nullable: true })
  claimedNTest!: number | null;
}
