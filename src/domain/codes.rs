//! Reference codes: NUTS 2 regions, ISCED-F fields, ISO 639-1 languages and ISO 3166
//! countries. Each is a handle on a record of the embedded code lists, so holding one
//! proves the code exists.

use std::fmt;

use serde::{Serialize, Serializer};

use super::reference::{
    COUNTRIES, ISCED, IscedRecord, LANGUAGES, NUTS, NUTS2_BY_NAME, NamedCode, NutsRecord,
    fold_name, iso_country_key,
};
use super::{InvalidValue, ValueProblem};

macro_rules! code_handle {
    ($name:ident, $record:ty) => {
        #[derive(Clone, Copy)]
        pub struct $name(&'static $record);

        impl $name {
            pub fn code(&self) -> &'static str {
                &self.0.code
            }

            pub fn name(&self) -> &'static str {
                &self.0.name
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                std::ptr::eq(self.0, other.0)
            }
        }

        impl Eq for $name {}

        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.code().hash(state)
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.code().cmp(other.code())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(formatter, "{}({})", stringify!($name), self.code())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(self.code())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.code())
            }
        }
    };
}

code_handle!(Region, NutsRecord);
code_handle!(IscedField, IscedRecord);
code_handle!(Language, NamedCode);
code_handle!(Country, NamedCode);

impl Region {
    /// Accepts a NUTS 2021 level-2 code in any case (`es21`) or a region's exact name.
    pub fn parse(input: &str) -> Result<Region, InvalidValue> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(ValueProblem::RegionMissing.into());
        }
        let code = trimmed.to_uppercase();
        if let Some(record) = NUTS.get(&code) {
            return match record.level {
                2 if !record.code.ends_with("ZZ") => Ok(Region(record)),
                2 => Err(ValueProblem::RegionOutsideAnyRegion { code }.into()),
                3 => {
                    let parent = NUTS
                        .get(&record.code[..4])
                        .expect("every NUTS 3 code has a NUTS 2 parent");
                    Err(ValueProblem::RegionIsNuts3 {
                        code,
                        name: record.name.to_string(),
                        parent_code: parent.code.to_string(),
                        parent_name: parent.name.to_string(),
                    }
                    .into())
                }
                _ => Err(ValueProblem::RegionLargerThanNuts2 {
                    name: record.name.to_string(),
                    example: example_nuts2_within(&record.code),
                    code,
                }
                .into()),
            };
        }
        if let Some(&index) = NUTS2_BY_NAME.get(&fold_name(trimmed)) {
            return Ok(Region(&NUTS.records[index]));
        }
        Err(ValueProblem::NotARegion.into())
    }

    /// Every NUTS 2 region, in the order of the NUTS table (country by country).
    pub fn all() -> impl Iterator<Item = Region> {
        NUTS.records
            .iter()
            .filter(|record| record.level == 2 && !record.code.ends_with("ZZ"))
            .map(Region)
    }

    /// The ISO 3166 country: NUTS writes Greece `EL` and the United Kingdom `UK`.
    pub fn country(&self) -> Country {
        Country(self.0.country)
    }
}

fn example_nuts2_within(prefix: &str) -> String {
    NUTS.records
        .iter()
        .find(|record| record.level == 2 && record.code.starts_with(prefix))
        .map(|record| format!("{} ({})", record.code, record.name))
        .unwrap_or_else(|| "ES21".to_owned())
}

impl IscedField {
    /// Accepts an ISCED-F 2013 code of 2, 3 or 4 digits (`07`, `071`, `0713`).
    pub fn parse(input: &str) -> Result<IscedField, InvalidValue> {
        let code = input.trim();
        let well_formed = matches!(code.len(), 2..=4) && code.bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            return Err(ValueProblem::NotAnIscedCode.into());
        }
        ISCED.get(code).map(IscedField).ok_or_else(|| {
            ValueProblem::UnknownIscedField {
                code: code.to_owned(),
            }
            .into()
        })
    }

    /// Every ISCED-F 2013 field, broad (2 digits), narrow (3) and detailed (4), in code
    /// order.
    pub fn all() -> impl Iterator<Item = IscedField> {
        ISCED.records.iter().map(IscedField)
    }

    /// Fields are compatible when one code is a prefix of (or equal to) the other:
    /// `07` (Engineering) is compatible with `0713` (Electricity and energy).
    pub fn is_compatible_with(&self, other: &IscedField) -> bool {
        self.code().starts_with(other.code()) || other.code().starts_with(self.code())
    }
}

impl Language {
    /// Accepts an ISO 639-1 code (`es`) or a language's name (`Spanish`, `español`).
    pub fn parse(input: &str) -> Result<Language, InvalidValue> {
        LANGUAGES
            .get(&fold_name(input))
            .map(Language)
            .ok_or_else(|| ValueProblem::NotALanguage.into())
    }

    /// Every ISO 639-1 language, in code order.
    pub fn all() -> impl Iterator<Item = Language> {
        LANGUAGES.records.iter().map(Language)
    }
}

impl Country {
    /// Every ISO 3166 country, in code order.
    pub fn all() -> impl Iterator<Item = Country> {
        COUNTRIES.records.iter().map(Country)
    }

    /// Accepts an ISO 3166 alpha-2 code, the NUTS spellings `EL` and `UK`, or an
    /// English country name.
    pub fn parse(input: &str) -> Result<Country, InvalidValue> {
        COUNTRIES
            .get(iso_country_key(&fold_name(input)))
            .map(Country)
            .ok_or_else(|| ValueProblem::NotACountry.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_are_read_in_any_case_and_carry_name_and_iso_country() {
        let basque_country = Region::parse(" es21 ").unwrap();
        assert_eq!(basque_country.code(), "ES21");
        assert_eq!(basque_country.name(), "País Vasco");
        assert_eq!(basque_country.country().code(), "ES");
        assert_eq!(Region::parse("EL30").unwrap().country().code(), "GR");
        assert_eq!(Region::parse("UKI3").unwrap().country().code(), "GB");
    }

    #[test]
    fn region_names_are_accepted_with_or_without_accents() {
        assert_eq!(Region::parse("Västsverige").unwrap().code(), "SE23");
        assert_eq!(Region::parse("pais vasco").unwrap().code(), "ES21");
    }

    #[test]
    fn regions_of_other_levels_are_refused_with_the_region_to_use() {
        let nuts3 = Region::parse("ES211").unwrap_err().to_string();
        assert!(nuts3.contains("ES21"), "{nuts3}");
        let nuts1 = Region::parse("ES2").unwrap_err().to_string();
        assert!(nuts1.contains("larger than a NUTS 2 region"), "{nuts1}");
        assert!(Region::parse("ESZZ").is_err());
        assert!(Region::parse("XX99").is_err());
        assert!(Region::parse("").is_err());
    }

    #[test]
    fn every_nuts2_region_maps_to_an_iso_country() {
        for record in NUTS.records.iter().filter(|record| record.level == 2) {
            if let Ok(region) = Region::parse(&record.code) {
                assert_eq!(region.country().code().len(), 2);
            }
        }
    }

    #[test]
    fn isced_fields_are_compatible_by_prefix() {
        let engineering = IscedField::parse("07").unwrap();
        let electricity = IscedField::parse("0713").unwrap();
        let materials = IscedField::parse("0722").unwrap();
        assert!(engineering.is_compatible_with(&electricity));
        assert!(electricity.is_compatible_with(&engineering));
        assert!(electricity.is_compatible_with(&electricity));
        assert!(!electricity.is_compatible_with(&materials));
        assert_eq!(electricity.name(), "Electricity and energy");
        assert!(IscedField::parse("0798").is_err());
        assert!(IscedField::parse("7").is_err());
        assert!(IscedField::parse("07a").is_err());
    }

    #[test]
    fn languages_are_found_by_code_english_name_and_common_names() {
        assert_eq!(Language::parse("ES").unwrap().code(), "es");
        assert_eq!(Language::parse("Swedish").unwrap().code(), "sv");
        assert_eq!(Language::parse("español").unwrap().code(), "es");
        assert_eq!(Language::parse("Euskara").unwrap().code(), "eu");
        assert_eq!(Language::parse("greek").unwrap().code(), "el");
        assert!(Language::parse("Klingon").is_err());
    }

    #[test]
    fn language_and_country_names_never_shadow_another_code() {
        for list in [&*LANGUAGES, &*COUNTRIES] {
            for record in &list.records {
                for alias in &record.aliases {
                    let found = list.get(&fold_name(alias)).unwrap();
                    assert_eq!(found.code, record.code, "alias {alias}");
                }
            }
        }
    }

    #[test]
    fn countries_accept_nuts_spellings_and_names() {
        assert_eq!(Country::parse("EL").unwrap().code(), "GR");
        assert_eq!(Country::parse("uk").unwrap().code(), "GB");
        assert_eq!(Country::parse("Finland").unwrap().code(), "FI");
        assert_eq!(Country::parse("Czech Republic").unwrap().code(), "CZ");
        assert!(Country::parse("Atlantis").is_err());
    }
}
