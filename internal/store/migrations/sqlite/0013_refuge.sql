-- Accommodation: refuges and satellite (dispersed) properties, each run by
-- a team; their units (rooms, flats) and bedspaces; referrals to a
-- vacancy (hold, offer, accept or decline, admission) and the turnaways
-- they end in; stays with their departures and move-on; the areas each
-- client must not be placed in. A property's address is sealed by the
-- vault; town and area are what everyone else sees. A client's unsafe
-- areas are sealed, with a keyed blind index to compare against the
-- properties' towns and areas.
CREATE TABLE refuge_properties (
    id               TEXT PRIMARY KEY,
    organisation_id  TEXT NOT NULL REFERENCES organisations(id),
    team_id          TEXT NOT NULL REFERENCES teams(id),
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('refuge', 'satellite')),
    town             TEXT NOT NULL,
    area             TEXT NOT NULL,
    address_sealed   TEXT NOT NULL,
    service          TEXT NOT NULL CHECK (service IN ('women', 'men', 'mixed')),
    max_household    INTEGER NOT NULL CHECK (max_household >= 1),
    max_children     INTEGER NOT NULL CHECK (max_children >= 0),
    max_boy_age      INTEGER NOT NULL CHECK (max_boy_age >= 0 AND max_boy_age <= 17),
    wheelchair       BOOLEAN NOT NULL,
    ground_floor     BOOLEAN NOT NULL,
    mental_health    BOOLEAN NOT NULL,
    substance_use    BOOLEAN NOT NULL,
    complex_needs    BOOLEAN NOT NULL,
    nrpf             BOOLEAN NOT NULL,
    pets             BOOLEAN NOT NULL,
    out_of_area      BOOLEAN NOT NULL,
    -- Languages the staff speak, comma-separated.
    languages        TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX refuge_properties_team ON refuge_properties(team_id);

-- A unit is let to one household at a time: a hold or a stay claims all
-- of its bedspaces.
CREATE TABLE refuge_units (
    id           TEXT PRIMARY KEY,
    property_id  TEXT NOT NULL REFERENCES refuge_properties(id),
    name         TEXT NOT NULL,
    ground_floor BOOLEAN NOT NULL,
    wheelchair   BOOLEAN NOT NULL,
    position     INTEGER NOT NULL
);
CREATE INDEX refuge_units_property ON refuge_units(property_id, position);

CREATE TABLE refuge_bedspaces (
    id          TEXT PRIMARY KEY,
    unit_id     TEXT NOT NULL REFERENCES refuge_units(id),
    property_id TEXT NOT NULL REFERENCES refuge_properties(id),
    position    INTEGER NOT NULL
);
CREATE INDEX refuge_bedspaces_unit ON refuge_bedspaces(unit_id, position);

-- A referral of a client's household to a unit, or (property_id NULL) a
-- turnaway recorded when no vacancy could take them.
CREATE TABLE refuge_referrals (
    id               TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL REFERENCES clients(id),
    property_id      TEXT REFERENCES refuge_properties(id),
    unit_id          TEXT REFERENCES refuge_units(id),
    adults           INTEGER NOT NULL,
    children         INTEGER NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('held', 'offered', 'accepted', 'admitted', 'declined', 'expired', 'turned_away')),
    held_until       TIMESTAMP,
    decided_by       TEXT CHECK (decided_by IN ('client', 'refuge')),
    turnaway_reason  TEXT CHECK (turnaway_reason IN ('no_space', 'needs_not_met', 'risk', 'client_declined', 'other')),
    note_sealed      TEXT,
    created_by       TEXT REFERENCES staff(id),
    created_at       TIMESTAMP NOT NULL,
    ended_at         TIMESTAMP,
    version          INTEGER NOT NULL DEFAULT 1,
    CHECK ((status IN ('declined', 'expired', 'turned_away')) = (turnaway_reason IS NOT NULL))
);
CREATE INDEX refuge_referrals_client ON refuge_referrals(client_id, created_at);
CREATE INDEX refuge_referrals_ended ON refuge_referrals(ended_at);

CREATE TABLE refuge_stays (
    id                TEXT PRIMARY KEY,
    property_id       TEXT NOT NULL REFERENCES refuge_properties(id),
    unit_id           TEXT NOT NULL REFERENCES refuge_units(id),
    referral_id       TEXT REFERENCES refuge_referrals(id),
    client_id         TEXT NOT NULL REFERENCES clients(id),
    move_in           TIMESTAMP NOT NULL,
    expected_move_out TIMESTAMP,
    move_out          TIMESTAMP,
    departure_reason  TEXT CHECK (departure_reason IN ('planned_move_on', 'transferred', 'left_voluntarily', 'asked_to_leave', 'safety_compromised', 'returned_to_perpetrator', 'other')),
    move_on           TEXT CHECK (move_on IN ('own_tenancy', 'social_housing', 'private_rented', 'family_or_friends', 'another_refuge', 'returned_to_perpetrator', 'unknown')),
    created_by        TEXT REFERENCES staff(id),
    created_at        TIMESTAMP NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    CHECK ((move_out IS NULL) = (departure_reason IS NULL)),
    CHECK ((move_out IS NULL) = (move_on IS NULL))
);
CREATE INDEX refuge_stays_property ON refuge_stays(property_id, move_in);
CREATE INDEX refuge_stays_client ON refuge_stays(client_id);

-- Everyone who lives in a stay: the client, other adults, the children.
CREATE TABLE refuge_stay_members (
    stay_id     TEXT NOT NULL REFERENCES refuge_stays(id),
    person_kind TEXT NOT NULL CHECK (person_kind IN ('client', 'child')),
    person_id   TEXT NOT NULL,
    PRIMARY KEY (stay_id, person_id)
);

-- Claims on bedspaces: a hold (expires_at set) or a stay. The partial
-- unique index is the guarantee that one bedspace is never held or
-- occupied by two households at once, whatever the number of nodes; a
-- hold past its expiry is released (released_at set) inside the
-- transaction that claims the bedspace next, or by the background sweep.
CREATE TABLE refuge_claims (
    id           TEXT PRIMARY KEY,
    bedspace_id  TEXT NOT NULL REFERENCES refuge_bedspaces(id),
    referral_id  TEXT REFERENCES refuge_referrals(id),
    stay_id      TEXT REFERENCES refuge_stays(id),
    expires_at   TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    released_at  TIMESTAMP,
    CHECK (referral_id IS NOT NULL OR stay_id IS NOT NULL)
);
CREATE UNIQUE INDEX refuge_claims_live ON refuge_claims(bedspace_id) WHERE released_at IS NULL;
CREATE INDEX refuge_claims_referral ON refuge_claims(referral_id);
CREATE INDEX refuge_claims_stay ON refuge_claims(stay_id);
CREATE INDEX refuge_claims_expiry ON refuge_claims(expires_at) WHERE released_at IS NULL;

-- Areas a client must never be placed in.
CREATE TABLE refuge_unsafe_areas (
    client_id   TEXT NOT NULL REFERENCES clients(id),
    area_index  TEXT NOT NULL,
    area_sealed TEXT NOT NULL,
    PRIMARY KEY (client_id, area_index)
);
