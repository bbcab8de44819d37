// Package access holds the roles staff can have and, as the security core
// lands, the one policy that decides every action on a record.
package access

// Role is what a staff account is for. A role grants nothing by itself; the
// policy combines it with the actor's relation to a record.
type Role string

const (
	RoleFrontDoorWorker    Role = "front_door_worker"
	RoleOutreachWorker     Role = "outreach_worker"
	RoleIDVA               Role = "idva"
	RoleRefugeWorker       Role = "refuge_worker"
	RoleVolunteer          Role = "volunteer"
	RoleTeamManager        Role = "team_manager"
	RoleDataProtectionLead Role = "data_protection_lead"
	RoleAdministrator      Role = "administrator"
	RolePartnerAgencyUser  Role = "partner_agency_user"
	RoleCommissioner       Role = "commissioner"
)

// Roles lists every role, in the order forms and tables show them.
var Roles = []Role{
	RoleFrontDoorWorker, RoleOutreachWorker, RoleIDVA, RoleRefugeWorker,
	RoleVolunteer, RoleTeamManager, RoleDataProtectionLead, RoleAdministrator,
	RolePartnerAgencyUser, RoleCommissioner,
}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}
