package web

import (
	"net/http"

	"frontdoor/internal/people"
)

// searchResult is one person record in the search results.
type searchResult struct {
	people.Summary
	Team string
	Link string
}

type searchPage struct {
	Query    string
	Searched bool
	Results  []searchResult
}

// recordLink is where a person record of a kind is read.
func recordLink(kind, recordID string) string {
	switch kind {
	case people.ChildRecordKind:
		return "/children/" + recordID
	case people.PerpetratorRecordKind:
		return "/perpetrators/" + recordID
	}
	return "/people/" + recordID
}

// searchForm is the search page, empty. Searching is a POST: a name
// never goes into a URL, where browser history, a proxy's log or a shared
// computer would keep it.
func (s *Server) searchForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "people_search", view{Title: "people_search.title", Data: searchPage{}, Form: map[string]string{}})
}

// searchPeople finds person records by name; the results list only the
// records the policy lets the worker read.
func (s *Server) searchPeople(w http.ResponseWriter, r *http.Request) {
	page := searchPage{Query: r.PostFormValue("q")}
	v := view{Title: "people_search.title", Form: map[string]string{"q": page.Query}, Data: page}
	res, err := s.People.Search(r.Context(), actorOf(sessionOf(r)), page.Query, people.MaxSearchResults)
	if err != nil {
		s.formError(w, r, "people_search", v, err)
		return
	}
	page.Searched = true
	teams := map[string]string{}
	for _, sum := range res {
		team, seen := teams[sum.TeamID]
		if !seen && sum.TeamID != "" {
			if team, err = s.teamName(r, sum.TeamID); err != nil {
				s.formError(w, r, "error", view{}, err)
				return
			}
			teams[sum.TeamID] = team
		}
		page.Results = append(page.Results, searchResult{Summary: sum, Team: team, Link: recordLink(sum.Kind, sum.ID)})
	}
	v.Data = page
	s.render(w, r, http.StatusOK, "people_search", v)
}
