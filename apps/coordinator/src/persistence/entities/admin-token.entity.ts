import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'admin_tokens' })
export class AdminTokenEntity {
  @PrimaryColumn({ type: 'int' })
  id!: number;

  @Column({ type: 'text' })
  salt!: string;

  @Column({ type: 'text' })
  hash!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
