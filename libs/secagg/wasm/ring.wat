;; Addition and subtraction in Z/2^64, element-wise over byte ranges of the module's memory: the
;; coordinator's masked sum and the sites' masking (libs/secagg ring-kernel.ts). i64 arithmetic
;; wraps mod 2^64 by definition (WebAssembly core spec, i64.add / i64x2.add), two lanes per v128.
;; add32/sub32: the same in Z/2^32 (the clipped studies' ring), i32x4.add / i32x4.sub, four lanes.
;; The memory is imported and shared, so the threads that remove masks (mask-removal.ts) each run an
;; instance on one accumulator; they work on disjoint element ranges, so no access needs to be atomic.
(module
  (import "env" "memory" (memory 1 65536 shared))
  ;; acc[i] += src[i] for i < count (8-byte elements at byte addresses acc and src).
  (func (export "add") (param $acc i32) (param $src i32) (param $count i32)
    (local $end i32)
    (local.set $end
      (i32.add (local.get $src) (i32.shl (i32.and (local.get $count) (i32.const -2)) (i32.const 3))))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store (local.get $acc)
          (i64x2.add (v128.load (local.get $acc)) (v128.load (local.get $src))))
        (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $pairs)))
    (if (i32.and (local.get $count) (i32.const 1))
      (then
        (i64.store (local.get $acc) (i64.add (i64.load (local.get $acc)) (i64.load (local.get $src)))))))
  ;; acc[i] -= src[i] for i < count.
  (func (export "sub") (param $acc i32) (param $src i32) (param $count i32)
    (local $end i32)
    (local.set $end
      (i32.add (local.get $src) (i32.shl (i32.and (local.get $count) (i32.const -2)) (i32.const 3))))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store (local.get $acc)
          (i64x2.sub (v128.load (local.get $acc)) (v128.load (local.get $src))))
        (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $pairs)))
    (if (i32.and (local.get $count) (i32.const 1))
      (then
        (i64.store (local.get $acc) (i64.sub (i64.load (local.get $acc)) (i64.load (local.get $src)))))))
  ;; acc[i] += src[i] for i < count (4-byte elements).
  (func (export "add32") (param $acc i32) (param $src i32) (param $count i32)
    (local $end i32)
    (local.set $end
      (i32.add (local.get $src) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $quads
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store (local.get $acc)
          (i32x4.add (v128.load (local.get $acc)) (v128.load (local.get $src))))
        (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $quads)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $count) (i32.const 3)) (i32.const 2))))
    (block $tail
      (loop $ones
        (br_if $tail (i32.ge_u (local.get $src) (local.get $end)))
        (i32.store (local.get $acc) (i32.add (i32.load (local.get $acc)) (i32.load (local.get $src))))
        (local.set $acc (i32.add (local.get $acc) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (br $ones))))
  ;; acc[i] -= src[i] for i < count (4-byte elements).
  (func (export "sub32") (param $acc i32) (param $src i32) (param $count i32)
    (local $end i32)
    (local.set $end
      (i32.add (local.get $src) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $quads
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store (local.get $acc)
          (i32x4.sub (v128.load (local.get $acc)) (v128.load (local.get $src))))
        (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $quads)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $count) (i32.const 3)) (i32.const 2))))
    (block $tail
      (loop $ones
        (br_if $tail (i32.ge_u (local.get $src) (local.get $end)))
        (i32.store (local.get $acc) (i32.sub (i32.load (local.get $acc)) (i32.load (local.get $src))))
        (local.set $acc (i32.add (local.get $acc) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (br $ones)))))
