;; Kernels of StreamingFedAvg's grid accumulator (libs/aggregation/src/grid.ts has the arithmetic
;; and its proof). `npm run build:wasm -w @fedaln/aggregation` compiles this file into
;; src/grid-fold.wasm.ts (base64); grid-fold-kernel.spec.ts checks that the committed bytes are this
;; file's. Offsets are byte offsets into the imported memory, which is shared: a worker thread runs
;; the same kernels on it (src/fold-worker.ts).
(module
  (import "env" "memory" (memory 1 65536 shared))
  (global $maxabs (mut f32) (f32.const 0))
  (global $maxabs2 (mut f32) (f32.const 0))
  (global $bad2 (mut i32) (i32.const 0))

  ;; fold(acc, x, n, w, cap): acc[i] += nearest(f64(v[i]) * w) for i in 0..n (round half to even), where
  ;; acc holds n float64, x n float32, and v[i] = x[i] when |x[i]| <= cap, else +0 (NaN, ±Infinity
  ;; and values beyond cap are folded as +0). Returns the index of the first such value, or n when
  ;; there is none; global maxabs is set to max |x| over the values within cap. Folding the same x
  ;; with -w subtracts exactly what was added (round to nearest even is symmetric).
  (func $fold (param $acc i32) (param $x i32) (param $n i32) (param $w f64) (param $cap f32) (result i32)
    (local $i i32) (local $end4 i32) (local $end8 i32) (local $px i32) (local $pa i32) (local $p i32)
    (local $v v128) (local $a v128) (local $ok v128) (local $all v128) (local $m v128) (local $wv v128) (local $capv v128)
    (local $s f32) (local $sm f32)
    (local.set $all (i32x4.splat (i32.const -1)))
    (local.set $wv (f64x2.splat (local.get $w)))
    (local.set $capv (f32x4.splat (local.get $cap)))
    ;; Blocks of 8 values (two of 4, unrolled), then one of 4; $px and $pa walk x and acc.
    (local.set $px (local.get $x))
    (local.set $pa (local.get $acc))
    (local.set $end4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $end8 (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $done8
      (loop $blocks8
        (br_if $done8 (i32.ge_u (local.get $px) (local.get $end8)))
        (local.set $v (v128.load offset=0 align=4 (local.get $px)))
        (local.set $a (f32x4.abs (local.get $v)))
        (local.set $ok (f32x4.le (local.get $a) (local.get $capv)))
        (local.set $all (v128.and (local.get $all) (local.get $ok)))
        (local.set $m (f32x4.pmax (local.get $m) (local.get $a)))
        (local.set $v (v128.and (local.get $v) (local.get $ok)))
        (v128.store offset=0 align=8 (local.get $pa)
          (f64x2.add (v128.load offset=0 align=8 (local.get $pa))
            (f64x2.nearest (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (local.get $wv)))))
        (v128.store offset=16 align=8 (local.get $pa)
          (f64x2.add (v128.load offset=16 align=8 (local.get $pa))
            (f64x2.nearest
              (f64x2.mul
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
                (local.get $wv)))))
        (local.set $v (v128.load offset=16 align=4 (local.get $px)))
        (local.set $a (f32x4.abs (local.get $v)))
        (local.set $ok (f32x4.le (local.get $a) (local.get $capv)))
        (local.set $all (v128.and (local.get $all) (local.get $ok)))
        (local.set $m (f32x4.pmax (local.get $m) (local.get $a)))
        (local.set $v (v128.and (local.get $v) (local.get $ok)))
        (v128.store offset=32 align=8 (local.get $pa)
          (f64x2.add (v128.load offset=32 align=8 (local.get $pa))
            (f64x2.nearest (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (local.get $wv)))))
        (v128.store offset=48 align=8 (local.get $pa)
          (f64x2.add (v128.load offset=48 align=8 (local.get $pa))
            (f64x2.nearest
              (f64x2.mul
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
                (local.get $wv)))))
        (local.set $px (i32.add (local.get $px) (i32.const 32)))
        (local.set $pa (i32.add (local.get $pa) (i32.const 64)))
        (br $blocks8)))
    (local.set $i (i32.shr_u (i32.sub (local.get $px) (local.get $x)) (i32.const 2)))
    (if (i32.lt_u (local.get $i) (local.get $end4))
      (then
        (local.set $v (v128.load offset=0 align=4 (local.get $px)))
        (local.set $a (f32x4.abs (local.get $v)))
        (local.set $ok (f32x4.le (local.get $a) (local.get $capv)))
        (local.set $all (v128.and (local.get $all) (local.get $ok)))
        (local.set $m (f32x4.pmax (local.get $m) (local.get $a)))
        (local.set $v (v128.and (local.get $v) (local.get $ok)))
        (v128.store offset=0 align=8 (local.get $pa)
          (f64x2.add (v128.load offset=0 align=8 (local.get $pa))
            (f64x2.nearest (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (local.get $wv)))))
        (v128.store offset=16 align=8 (local.get $pa)
          (f64x2.add (v128.load offset=16 align=8 (local.get $pa))
            (f64x2.nearest
              (f64x2.mul
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
                (local.get $wv)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))))
    (local.set $sm
      (f32.max
        (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
        (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
    ;; The tail, one value at a time, with the same rule.
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
        (if (f32.le (f32.abs (local.get $s)) (local.get $cap))
          (then (local.set $sm (f32.max (local.get $sm) (f32.abs (local.get $s)))))
          (else
            (local.set $s (f32.const 0))
            (local.set $all (v128.const i32x4 0 0 0 0))))
        (local.set $p (i32.add (local.get $acc) (i32.shl (local.get $i) (i32.const 3))))
        (f64.store (local.get $p)
          (f64.add (f64.load (local.get $p))
            (f64.nearest (f64.mul (f64.promote_f32 (local.get $s)) (local.get $w)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (global.set $maxabs (local.get $sm))
    (if (result i32) (i32x4.all_true (local.get $all))
      (then (local.get $n))
      (else (call $firstOutside (local.get $x) (local.get $n) (local.get $cap)))))

  ;; fold2(acc, x, y, n, w, wy, cap, capy): two updates in one pass over acc, which is then read and
  ;; written once instead of twice: acc[i] += nearest(f64(u[i]) * w) + nearest(f64(v[i]) * wy), with
  ;; u and v the values of x and y within cap and capy (others folded as +0, as fold does). Both
  ;; terms are integers of magnitude <= 2^51, so their sum is exact and the element ends as fold
  ;; would leave it after the two single folds. Returns the first index of x outside cap (n when
  ;; none); global bad2 is y's; maxabs and maxabs2 are max |x| and max |y| over the values within cap.
  (func $fold2 (param $acc i32) (param $x i32) (param $y i32) (param $n i32) (param $w f64) (param $wy f64)
                         (param $cap f32) (param $capy f32) (result i32)
    (local $i i32) (local $end4 i32) (local $px i32) (local $py i32) (local $pa i32) (local $p i32)
    (local $u v128) (local $v v128) (local $a v128) (local $ok v128)
    (local $allx v128) (local $ally v128) (local $mx v128) (local $my v128)
    (local $wv v128) (local $wyv v128) (local $capv v128) (local $capyv v128)
    (local $s f32) (local $t f32) (local $smx f32) (local $smy f32)
    (local.set $allx (i32x4.splat (i32.const -1)))
    (local.set $ally (i32x4.splat (i32.const -1)))
    (local.set $wv (f64x2.splat (local.get $w)))
    (local.set $wyv (f64x2.splat (local.get $wy)))
    (local.set $capv (f32x4.splat (local.get $cap)))
    (local.set $capyv (f32x4.splat (local.get $capy)))
    (local.set $px (local.get $x))
    (local.set $py (local.get $y))
    (local.set $pa (local.get $acc))
    (local.set $end4 (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    ;; Blocks of 4 values of each update.
    (block $done4
      (loop $blocks4
        (br_if $done4 (i32.ge_u (local.get $px) (local.get $end4)))
        (local.set $u (v128.load align=4 (local.get $px)))
        (local.set $a (f32x4.abs (local.get $u)))
        (local.set $ok (f32x4.le (local.get $a) (local.get $capv)))
        (local.set $allx (v128.and (local.get $allx) (local.get $ok)))
        (local.set $mx (f32x4.pmax (local.get $mx) (local.get $a)))
        (local.set $u (v128.and (local.get $u) (local.get $ok)))
        (local.set $v (v128.load align=4 (local.get $py)))
        (local.set $a (f32x4.abs (local.get $v)))
        (local.set $ok (f32x4.le (local.get $a) (local.get $capyv)))
        (local.set $ally (v128.and (local.get $ally) (local.get $ok)))
        (local.set $my (f32x4.pmax (local.get $my) (local.get $a)))
        (local.set $v (v128.and (local.get $v) (local.get $ok)))
        (v128.store offset=0 align=8 (local.get $pa)
          (f64x2.add (v128.load offset=0 align=8 (local.get $pa))
            (f64x2.add
              (f64x2.nearest (f64x2.mul (f64x2.promote_low_f32x4 (local.get $u)) (local.get $wv)))
              (f64x2.nearest (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (local.get $wyv))))))
        (v128.store offset=16 align=8 (local.get $pa)
          (f64x2.add (v128.load offset=16 align=8 (local.get $pa))
            (f64x2.add
              (f64x2.nearest
                (f64x2.mul
                  (f64x2.promote_low_f32x4
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $u) (local.get $u)))
                  (local.get $wv)))
              (f64x2.nearest
                (f64x2.mul
                  (f64x2.promote_low_f32x4
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
                  (local.get $wyv))))))
        (local.set $px (i32.add (local.get $px) (i32.const 16)))
        (local.set $py (i32.add (local.get $py) (i32.const 16)))
        (local.set $pa (i32.add (local.get $pa) (i32.const 32)))
        (br $blocks4)))
    (local.set $smx
      (f32.max
        (f32.max (f32x4.extract_lane 0 (local.get $mx)) (f32x4.extract_lane 1 (local.get $mx)))
        (f32.max (f32x4.extract_lane 2 (local.get $mx)) (f32x4.extract_lane 3 (local.get $mx)))))
    (local.set $smy
      (f32.max
        (f32.max (f32x4.extract_lane 0 (local.get $my)) (f32x4.extract_lane 1 (local.get $my)))
        (f32.max (f32x4.extract_lane 2 (local.get $my)) (f32x4.extract_lane 3 (local.get $my)))))
    ;; The tail, one value of each at a time, with the same rule.
    (local.set $i (i32.and (local.get $n) (i32.const -4)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
        (if (f32.le (f32.abs (local.get $s)) (local.get $cap))
          (then (local.set $smx (f32.max (local.get $smx) (f32.abs (local.get $s)))))
          (else
            (local.set $s (f32.const 0))
            (local.set $allx (v128.const i32x4 0 0 0 0))))
        (local.set $t (f32.load (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2)))))
        (if (f32.le (f32.abs (local.get $t)) (local.get $capy))
          (then (local.set $smy (f32.max (local.get $smy) (f32.abs (local.get $t)))))
          (else
            (local.set $t (f32.const 0))
            (local.set $ally (v128.const i32x4 0 0 0 0))))
        (local.set $p (i32.add (local.get $acc) (i32.shl (local.get $i) (i32.const 3))))
        (f64.store (local.get $p)
          (f64.add (f64.load (local.get $p))
            (f64.add
              (f64.nearest (f64.mul (f64.promote_f32 (local.get $s)) (local.get $w)))
              (f64.nearest (f64.mul (f64.promote_f32 (local.get $t)) (local.get $wy))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (global.set $maxabs (local.get $smx))
    (global.set $maxabs2 (local.get $smy))
    (global.set $bad2
      (if (result i32) (i32x4.all_true (local.get $ally))
        (then (local.get $n))
        (else (call $firstOutside (local.get $y) (local.get $n) (local.get $capy)))))
    (if (result i32) (i32x4.all_true (local.get $allx))
      (then (local.get $n))
      (else (call $firstOutside (local.get $x) (local.get $n) (local.get $cap)))))

  ;; run(b): runs the fold job described by the control block at byte offset b and writes its
  ;; results there — the one entry point of both the worker thread and the thread that stages
  ;; (src/fold-memory.ts has the block's layout: i32 words op 4, acc 8, x 12, y 16, n 20; results
  ;; stop 24, stop2 28; f32 cap 32, capy 36; results maxabs 40, maxabs2 44; f64 w 48, wy 56).
  (func (export "run") (param $b i32)
    (if (i32.eq (i32.load offset=4 (local.get $b)) (i32.const 2))
      (then
        (i32.store offset=24 (local.get $b)
          (call $fold2
            (i32.load offset=8 (local.get $b)) (i32.load offset=12 (local.get $b))
            (i32.load offset=16 (local.get $b)) (i32.load offset=20 (local.get $b))
            (f64.load offset=48 (local.get $b)) (f64.load offset=56 (local.get $b))
            (f32.load offset=32 (local.get $b)) (f32.load offset=36 (local.get $b))))
        (i32.store offset=28 (local.get $b) (global.get $bad2))
        (f32.store offset=44 (local.get $b) (global.get $maxabs2)))
      (else
        (i32.store offset=24 (local.get $b)
          (call $fold
            (i32.load offset=8 (local.get $b)) (i32.load offset=12 (local.get $b))
            (i32.load offset=20 (local.get $b)) (f64.load offset=48 (local.get $b))
            (f32.load offset=32 (local.get $b))))))
    (f32.store offset=40 (local.get $b) (global.get $maxabs)))

  ;; The index of the first of the n float32 at x with !(|x| <= cap), or n.
  (func $firstOutside (param $x i32) (param $n i32) (param $cap f32) (result i32)
    (local $i i32)
    (block $stop
      (loop $scan
        (br_if $stop (i32.ge_u (local.get $i) (local.get $n)))
        (br_if $stop
          (i32.eqz (f32.le (f32.abs (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
                           (local.get $cap))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (local.get $i)))
