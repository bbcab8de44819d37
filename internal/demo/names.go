package demo

import "strings"

// community groups the names and languages people from one background are
// likely to have, so a generated person is internally plausible (a Polish
// given name with a Polish surname and, sometimes, Polish as first language).
type community struct {
	name        string
	weight      int
	female      []string
	male        []string
	surnames    []string // male or neutral forms
	surnamesF   []string // female forms where the language marks gender; nil means same as surnames
	femaleOnly  []string // surnames used only by women (Begum, Kaur, Bibi)
	languages   []string // other than English
	otherLangPc int      // percent whose first language is not English
}

var communities = []*community{
	{
		name: "british", weight: 575,
		female: []string{
			"Elizabeth", "Margaret", "Catherine", "Jennifer", "Rebecca", "Victoria", "Samantha",
			"Alexandra", "Susan", "Deborah", "Patricia", "Kimberley", "Jacqueline", "Stephanie",
			"Abigail", "Charlotte", "Nicola", "Joanne", "Danielle", "Natalie", "Jessica", "Amanda",
			"Bethany", "Eleanor", "Christine", "Josephine", "Frances", "Emma", "Sarah", "Laura",
			"Rachel", "Hannah", "Gemma", "Kirsty", "Leanne", "Claire", "Amy", "Chloe", "Karen",
			"Lisa", "Michelle", "Donna", "Tracey", "Kelly", "Sophie", "Lucy", "Megan", "Courtney",
			"Jade", "Zoe", "Helen", "Julie", "Louise", "Stacey", "Shannon", "Caitlin", "Holly",
			"Ellie", "Olivia", "Amelia", "Freya", "Poppy", "Evie", "Ruby", "Grace", "Lily",
		},
		male: []string{
			"William", "Robert", "Richard", "James", "Christopher", "Michael", "Daniel", "Anthony",
			"Joseph", "Thomas", "Nicholas", "Matthew", "Andrew", "Jonathan", "Stephen", "Edward",
			"David", "Benjamin", "Alexander", "Samuel", "Peter", "Charles", "Gary", "Lee", "Wayne",
			"Darren", "Craig", "Dean", "Jason", "Mark", "Paul", "Scott", "Shaun", "Kyle", "Liam",
			"Ryan", "Jack", "Harry", "Oliver", "George", "Noah", "Leo", "Oscar", "Alfie", "Kevin",
			"Neil", "Simon", "Ian", "Stuart", "Gareth", "Carl",
		},
		surnames: []string{
			"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
			"Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
			"Hall", "Wood", "Jackson", "Clarke", "Harrison", "Turner", "Hughes", "Edwards",
			"Lewis", "Hill", "Moore", "Cooper", "Ward", "Morris", "King", "Baker", "Harris",
			"Parker", "Bennett", "Shaw", "Holmes", "Atkinson", "Fletcher", "Barker", "Lees",
			"Ashworth", "Whitworth", "Sutcliffe", "Pickering", "Hargreaves", "Butterworth",
			"Greenwood", "Hollingworth", "Ackroyd", "Marsden", "Smith-Holroyd",
		},
	},
	{
		name: "south_asian_muslim", weight: 100,
		female: []string{
			"Aisha", "Fatima", "Ayesha", "Nadia", "Samina", "Shazia", "Rubina", "Nasreen",
			"Parveen", "Farzana", "Yasmin", "Amina", "Zainab", "Maryam", "Saima", "Rukhsana",
			"Shabana", "Nusrat", "Sadia", "Tahmina", "Sana", "Hina", "Hafsa", "Bushra",
		},
		male: []string{
			"Mohammed", "Abdul", "Imran", "Tariq", "Asif", "Khalid", "Zubair", "Irfan", "Kamran",
			"Faisal", "Shahid", "Naveed", "Amir", "Bilal", "Hamza", "Usman", "Rizwan", "Sajid",
			"Abdullah", "Yusuf", "Rashid", "Adnan", "Nadeem",
		},
		surnames: []string{
			"Khan", "Hussain", "Ahmed", "Ali", "Shah", "Akhtar", "Rahman", "Chowdhury", "Iqbal",
			"Mahmood", "Malik", "Uddin", "Islam", "Miah", "Siddiqui", "Qureshi", "Mirza", "Javed", "Aziz",
		},
		femaleOnly:  []string{"Begum", "Bibi"},
		languages:   []string{"Urdu", "Punjabi", "Bengali", "Sylheti", "Pashto"},
		otherLangPc: 30,
	},
	{
		name: "south_asian_indian", weight: 45,
		female: []string{
			"Priya", "Anjali", "Sunita", "Harpreet", "Gurpreet", "Manpreet", "Simran", "Jaspreet",
			"Rekha", "Meena", "Kiran", "Pooja", "Neha", "Deepa",
		},
		male: []string{
			"Arjun", "Rajesh", "Sanjay", "Vikram", "Harjit", "Gurdeep", "Jaswinder", "Manjit",
			"Kuldeep", "Rahul", "Ravi", "Sandeep", "Amit", "Vijay",
		},
		surnames: []string{
			"Patel", "Singh", "Mistry", "Sharma", "Gill", "Sandhu", "Dhillon", "Parmar", "Chauhan",
			"Desai", "Joshi", "Mehta", "Bains",
		},
		femaleOnly:  []string{"Kaur"},
		languages:   []string{"Punjabi", "Gujarati", "Hindi", "Tamil"},
		otherLangPc: 25,
	},
	{
		name: "eastern_european", weight: 80,
		female: []string{
			"Agnieszka", "Katarzyna", "Małgorzata", "Aleksandra", "Joanna", "Magdalena", "Anna",
			"Monika", "Ewa", "Justyna", "Dorota", "Marta", "Zuzanna", "Karolina", "Paulina",
			"Natalia", "Ioana", "Elena", "Andreea", "Daiva", "Rasa", "Jurgita", "Ilona", "Alina",
		},
		male: []string{
			"Krzysztof", "Tomasz", "Piotr", "Paweł", "Michał", "Łukasz", "Marcin", "Grzegorz",
			"Jakub", "Mateusz", "Aleksander", "Andrzej", "Marek", "Adrian", "Bartosz", "Dariusz",
			"Andrei", "Mihai", "Vasile", "Tomas", "Mindaugas", "Jonas",
		},
		surnames: []string{
			"Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
			"Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur",
			"Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski", "Nowakowski", "Pawłowski",
			"Popescu", "Ionescu", "Dumitru", "Kazlauskas", "Petrauskas",
		},
		languages:   []string{"Polish", "Polish", "Polish", "Romanian", "Lithuanian"},
		otherLangPc: 45,
	},
	{
		name: "caribbean", weight: 60,
		female: []string{
			"Marcia", "Sonia", "Beverley", "Paulette", "Jacinta", "Shanice", "Tanisha", "Keisha",
			"Chantelle", "Simone", "Andrea", "Yvonne", "Claudette", "Janelle", "Latoya", "Nadine",
			"Patrice", "Kayla", "Aaliyah", "Jada",
		},
		male: []string{
			"Delroy", "Winston", "Leroy", "Errol", "Devon", "Marlon", "Tyrone", "Jermaine", "Andre",
			"Clive", "Desmond", "Trevor", "Curtis", "Kareem", "Dwayne", "Kemar", "Jerome", "Nathaniel",
		},
		surnames: []string{
			"Campbell", "Francis", "Grant", "Thomas", "Reid", "McKenzie", "Bailey", "Morgan",
			"Edwards", "Henry", "Samuels", "Forbes", "Brown", "Williams", "Clarke", "Lewis",
			"Gordon", "Stewart", "Bennett", "Richards", "Powell", "Johnson", "Gayle", "Blake", "Daley",
		},
	},
	{
		name: "african", weight: 60,
		female: []string{
			"Chioma", "Ngozi", "Adaeze", "Folake", "Funmilayo", "Abena", "Akosua", "Ama", "Amara",
			"Blessing", "Precious", "Fadumo", "Hodan", "Zawadi", "Wanjiru", "Nia", "Esi", "Yetunde",
		},
		male: []string{
			"Chinedu", "Emeka", "Oluwaseun", "Olumide", "Kwame", "Kofi", "Yaw", "Abdi", "Tunde",
			"Femi", "Segun", "Kelechi", "Ikenna", "Jomo", "Kariuki", "Samuel", "Emmanuel",
		},
		surnames: []string{
			"Okafor", "Mensah", "Adeyemi", "Okonkwo", "Boateng", "Osei", "Mwangi", "Adebayo",
			"Owusu", "Asante", "Nwosu", "Eze", "Olatunji", "Farah", "Hassan", "Warsame", "Kamara",
			"Diallo", "Otieno", "Adjei",
		},
		languages:   []string{"Somali", "Tigrinya", "Twi", "Yoruba", "Swahili", "French"},
		otherLangPc: 20,
	},
	{
		name: "irish_scottish", weight: 30,
		female:   []string{"Siobhan", "Niamh", "Aoife", "Ciara", "Orla", "Róisín", "Mairead", "Bridget", "Fiona", "Morag", "Eilidh"},
		male:     []string{"Sean", "Ciaran", "Declan", "Padraig", "Eoin", "Niall", "Fergus", "Hamish", "Callum", "Ruairi"},
		surnames: []string{"O'Brien", "O'Connor", "McDonald", "Murphy", "Kelly", "Byrne", "Doyle", "Quinn", "Gallagher", "O'Neill", "MacLeod", "Fraser", "McLaughlin", "Docherty", "Brennan"},
	},
	{
		name: "turkish_kurdish", weight: 12,
		female:      []string{"Elif", "Zeynep", "Ayşe", "Fatma", "Emine", "Berfin", "Rojda"},
		male:        []string{"Mehmet", "Mustafa", "Emre", "Hasan", "Serkan", "Baran"},
		surnames:    []string{"Yılmaz", "Demir", "Kaya", "Şahin", "Çelik", "Aydın", "Doğan"},
		languages:   []string{"Turkish", "Kurdish"},
		otherLangPc: 50,
	},
	{
		name: "lusophone", weight: 12,
		female:      []string{"Ana", "Mariana", "Beatriz", "Juliana", "Fernanda", "Inês"},
		male:        []string{"João", "Tiago", "Rafael", "Bruno", "Diogo", "Paulo"},
		surnames:    []string{"Silva", "Costa", "Ferreira", "Santos", "Pereira", "Oliveira", "Rodrigues"},
		languages:   []string{"Portuguese"},
		otherLangPc: 50,
	},
	{
		name: "east_asian", weight: 14,
		female:      []string{"Mei", "Xiu Ying", "Li Na", "Linh", "Thu", "Hoa", "Ngoc Anh"},
		male:        []string{"Wei", "Jun", "Hao", "Minh", "Tuan", "Quang"},
		surnames:    []string{"Chen", "Wang", "Li", "Zhang", "Liu", "Nguyen", "Tran", "Pham"},
		languages:   []string{"Mandarin", "Cantonese", "Vietnamese"},
		otherLangPc: 55,
	},
	{
		name: "arabic", weight: 12,
		female:      []string{"Layla", "Noor", "Rania", "Huda", "Samira", "Dalia"},
		male:        []string{"Omar", "Karim", "Samir", "Ahmad", "Walid", "Tarek"},
		surnames:    []string{"Haddad", "Mansour", "Saleh", "Nasser", "Khalil", "Abbas"},
		languages:   []string{"Arabic"},
		otherLangPc: 50,
	},
}

var communityCum = func() []int {
	w := make([]int, len(communities))
	for i, c := range communities {
		w[i] = c.weight
	}
	return cumulative(w...)
}()

func init() {
	// Polish surnames mark gender (-ski/-ska, -cki/-cka); derive the women's
	// forms once rather than on every draw.
	for _, c := range communities {
		if c.name != "eastern_european" {
			continue
		}
		c.surnamesF = make([]string, len(c.surnames))
		for i, s := range c.surnames {
			switch {
			case strings.HasSuffix(s, "ski"):
				s = strings.TrimSuffix(s, "ski") + "ska"
			case strings.HasSuffix(s, "cki"):
				s = strings.TrimSuffix(s, "cki") + "cka"
			}
			c.surnamesF[i] = s
		}
	}
}

// surname picks a family name appropriate to gender.
func (c *community) surname(r *rng, female bool) string {
	if female && len(c.femaleOnly) > 0 && r.chance(0.15) {
		return pick(r, c.femaleOnly)
	}
	i := r.intn(len(c.surnames))
	if female && c.surnamesF != nil {
		return c.surnamesF[i]
	}
	return c.surnames[i]
}

// maleFormOf turns a surname into its male form where the language marks
// gender (a woman's ex-husband "Kowalski" when she is "Kowalska").
func maleFormOf(s string) string {
	switch {
	case strings.HasSuffix(s, "ska"):
		return strings.TrimSuffix(s, "ska") + "ski"
	case strings.HasSuffix(s, "cka"):
		return strings.TrimSuffix(s, "cka") + "cki"
	}
	return s
}

func femaleFormOf(s string) string {
	switch {
	case strings.HasSuffix(s, "ski"):
		return strings.TrimSuffix(s, "ski") + "ska"
	case strings.HasSuffix(s, "cki"):
		return strings.TrimSuffix(s, "cki") + "cka"
	}
	return s
}

// nicknames maps a formal given name to the short forms people also go by,
// so near-duplicate records (Elizabeth / Liz) exist for matching tests.
var nicknames = map[string][]string{
	"Elizabeth": {"Liz", "Beth", "Lizzie", "Betty"}, "Margaret": {"Maggie", "Peggy", "Meg"},
	"Catherine": {"Kate", "Cathy", "Cath"}, "Jennifer": {"Jen", "Jenny"}, "Rebecca": {"Becky", "Becca"},
	"Victoria": {"Vicky", "Tori"}, "Samantha": {"Sam", "Sammy"}, "Alexandra": {"Alex", "Lexi"},
	"Susan": {"Sue", "Susie"}, "Deborah": {"Debbie", "Deb"}, "Patricia": {"Pat", "Trish"},
	"Kimberley": {"Kim"}, "Jacqueline": {"Jackie"}, "Stephanie": {"Steph"}, "Abigail": {"Abi", "Abby"},
	"Charlotte": {"Charlie", "Lottie"}, "Nicola": {"Nicky", "Nikki"}, "Joanne": {"Jo"}, "Danielle": {"Dani"},
	"Natalie": {"Nat"}, "Jessica": {"Jess"}, "Amanda": {"Mandy"}, "Bethany": {"Beth"}, "Eleanor": {"Ellie", "Nell"},
	"Christine": {"Chris", "Chrissie"}, "Josephine": {"Jo", "Josie"}, "Frances": {"Fran"},
	"William": {"Bill", "Will", "Billy"}, "Robert": {"Bob", "Rob", "Bobby"}, "Richard": {"Rich", "Dick", "Ricky"},
	"James": {"Jim", "Jamie", "Jimmy"}, "Christopher": {"Chris", "Kit"}, "Michael": {"Mike", "Mick"},
	"Daniel": {"Dan", "Danny"}, "Anthony": {"Tony", "Ant"}, "Joseph": {"Joe", "Joey"}, "Thomas": {"Tom", "Tommy"},
	"Nicholas": {"Nick"}, "Matthew": {"Matt"}, "Andrew": {"Andy", "Drew"}, "Jonathan": {"Jon"},
	"Stephen": {"Steve"}, "Edward": {"Ed", "Eddie", "Ted"}, "David": {"Dave"}, "Benjamin": {"Ben"},
	"Alexander": {"Alex"}, "Samuel": {"Sam"}, "Peter": {"Pete"}, "Charles": {"Charlie", "Chas"},
	"Nathaniel": {"Nate"}, "Emmanuel": {"Manny"}, "Oluwaseun": {"Seun"}, "Funmilayo": {"Funmi"},
	"Mohammed": {"Mo", "Muhammad", "Mohammad"}, "Abdullah": {"Abdul"}, "Rajesh": {"Raj"},
	"Katarzyna": {"Kasia"}, "Małgorzata": {"Gosia"}, "Aleksandra": {"Ola"}, "Agnieszka": {"Aga"},
	"Joanna": {"Asia"}, "Magdalena": {"Magda"}, "Anna": {"Ania"}, "Zuzanna": {"Zuza"},
	"Krzysztof": {"Krzysiek"}, "Tomasz": {"Tomek"}, "Grzegorz": {"Grzesiek"}, "Jakub": {"Kuba"},
	"Aleksander": {"Olek"}, "Bartosz": {"Bartek"}, "Padraig": {"Paddy"}, "Bridget": {"Bridie"},
}

// fold lowercases s and drops or transliterates everything that is not an
// ASCII letter, for usernames and e-mail local parts ("O'Brien" -> "obrien",
// "Wiśniewska" -> "wisniewska").
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			b.WriteRune(c + 'a' - 'A')
		default:
			if t, ok := translit[c]; ok {
				b.WriteByte(t)
			}
		}
	}
	return b.String()
}

var translit = map[rune]byte{
	'ł': 'l', 'Ł': 'l', 'ś': 's', 'Ś': 's', 'ą': 'a', 'ę': 'e', 'ć': 'c', 'ń': 'n', 'ó': 'o',
	'ź': 'z', 'ż': 'z', 'Ż': 'z', 'Ź': 'z', 'ş': 's', 'Ş': 's', 'ı': 'i', 'İ': 'i', 'ç': 'c', 'Ç': 'c',
	'ğ': 'g', 'ö': 'o', 'ü': 'u', 'á': 'a', 'à': 'a', 'â': 'a', 'ã': 'a', 'é': 'e', 'ê': 'e',
	'í': 'i', 'ô': 'o', 'õ': 'o', 'ú': 'u', 'Ö': 'o', 'Ü': 'u',
}

// Places. All invented; the tests check that no real town from a short list
// leaks into generated addresses.
var townNames = []string{
	"Hollinsford", "Calder Bridge", "Ravensmere", "Oakhollow", "Brindlecombe", "Stannerby",
	"Whitlow Cross", "Elderfield Green", "Harrowdene", "Marrowby", "Penhallow Down", "Quillfield",
	"Sorrelton", "Tamsworth Vale", "Fennick Bay", "Wickenhurst", "Yarrowmere", "Blackthorn Edge",
	"Copperfold", "Gildersby",
}

// Postcode areas start with Q, which no real UK postcode area does.
var townPostcodes = []string{
	"QH", "QC", "QR", "QO", "QB", "QS", "QW", "QE", "QD", "QM", "QP", "QF",
	"QL", "QT", "QY", "QK", "QN", "QX", "QG", "QZ",
}

var neighbourhoods = []string{
	"North", "Riverside", "Old Town", "Eastfield", "Westgate", "Millbrook", "Hill Top",
	"Canal Side", "Moorside", "Greenbank", "Low Fold", "Brookvale",
}

var streetStems = []string{
	"Alder", "Tanner's", "Mill", "Rowan", "Chapel", "Kiln", "Weaver's", "Foundry", "Orchard",
	"Beacon", "Linden", "Cobble", "Hawthorn", "Ferry", "Spinner's", "Lark", "Quarry", "Sexton's",
	"Bramble", "Copper", "Thistle", "Heron", "Ash", "Clough", "Gorse", "Dyer's", "Tenter",
	"Bobbin", "Lantern", "Sorrel",
}

var streetKinds = []string{
	"Street", "Road", "Lane", "Close", "Row", "Terrace", "Avenue", "Way", "Crescent", "Court",
	"Gardens", "Walk", "Grove",
}

var refugeNames = []string{
	"Rowan", "Alder", "Willow", "Hazel", "Linden", "Juniper", "Hawthorn", "Elder", "Laurel",
	"Cedar", "Holly", "Bramble", "Heather", "Sorrel", "Bracken", "Yarrow", "Clover", "Foxglove",
	"Meadowsweet", "Campion",
}
var refugeSuffixes = []string{"House", "Lodge", "Court"}

var satelliteNames = []string{
	"Heron", "Linnet", "Kestrel", "Plover", "Curlew", "Swallow", "Wren", "Siskin", "Lapwing",
	"Dunlin", "Merlin", "Skylark", "Redstart", "Whinchat", "Dipper", "Kittiwake",
}
var satelliteSuffixes = []string{"Flats", "Cottages", "Mews", "Place"}

var saints = []string{"Aidan", "Bede", "Hilda", "Chad", "Oswald", "Cuthbert", "Wilfrid", "Margaret", "Columba", "Ninian"}
