# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The s32s-watch service: continuous push of watched directories to S3 (see README.md).

**PRIVATE**: this package is internal to the s32s.sync collection.
"""
