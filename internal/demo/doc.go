// Package demo generates a fictional but realistic domestic abuse service
// partnership, deterministically from a seed: organisations, teams, staff,
// refuges and satellite units (NewPartnership), and a stream of client
// households with their children, perpetrators, referrals, helpline contacts,
// risk checklists, refuge placements and case timelines (Households,
// HouseholdAt).
//
// It serves `frontdoor serve --demo` (Scale 1: ~300 client households, ~1,000
// people), tests, and benchmarks (ScaleForPeople(1_000_000) == 1000: 300,000
// households, ~1 M people, ~10 M timeline events, generated in seconds).
//
// Design choices:
//   - Household i depends only on the partnership, the Seed, the Scale and i:
//     each household draws from its own PCG streams, so generation streams in
//     constant memory and can be sharded across goroutines or machines.
//   - Refuge placements never double-book a bedspace: each unit is let in
//     fixed, non-overlapping time slots, and a bijective shuffle of household
//     indexes hands each slot to at most one household.
//   - Matching-test material is planted deliberately and labelled: a few
//     percent of clients are near-duplicates of an earlier client
//     (Household.NearDuplicateOf) and a few percent closely match another
//     household's perpetrator (Household.MatchesPerpetratorOf).
//   - Everything is invented: towns ("Hollinsford", "Calder Bridge"), Q-prefixed
//     postcodes and number plates no real place or car has, Ofcom drama phone
//     numbers, and e-mail at the reserved example.* domains, so nothing here
//     can reach or describe a real person or place.
package demo
