import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'studies' })
export class StudyEntity {
  @PrimaryColumn({ type: 'uuid', default: () => 'gen_random_uuid()' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'jsonb' })
  spec!: unknown;

  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'current_round', type: 'int' })
  currentRound!: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
